"""The Chinese grammar of requests (simplified script; traditional is converted before).

    [礼貌/请求框架] [把/将] [数量/序数] [定语…的] 中心词 [动词 抠出来/选出来…] [，排除分句] [，其余…]

Structure is read first, from the words that carry it (除了…以外, …的不要, 左边, 最大, 第二, …上的, 没戴…的);
what is left is the noun phrase, segmented into words by jieba and translated word by word (`zh_lexicon`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from segchat.parser.english import Reading, Selection
from segchat.parser.lexicon import (CLOSED_CLASS, JARGON, agent_noun, is_known, is_noun, is_participle, lemmas,
                                    saco_ending, saco_phrases, singular_phrase)
from segchat.parser.lexicon import REQUEST_VERBS as EN_REQUEST_VERBS
from segchat.parser.vocabulary import ZH_CLASSIFIERS, ZH_DIGITS, ZH_MODIFIERS, ZH_NOUNS
from segchat.parser.zh_lexicon import (cedict_object, cedict_senses, colour_and_our_noun, colour_before_noun,
                                      join_split_words, read_compound_heads, sense_after, translate_word,
                                      translate_words, words)

ZH_NUMBER = "(\\d+|[零一两二俩仨三四五六七八九十百]+)"
CL = f"[{ZH_CLASSIFIERS}]"
ZH_SELECT = [
    (r"最左边|最左侧|最左面|最左|左边|左侧|左面|靠左", "leftmost"),
    (r"最右边|最右侧|最右面|最右|右边|右侧|右面|靠右", "rightmost"),
    (r"正中间|正中央|中间|中央|正中|居中", "center"),
    (r"最上面|最上方|最顶上|最顶部|最顶端|最上边|最上层|最靠上|顶上|最高|最上|上面|上方|顶部", "topmost"),
    (r"最下面|最下方|最底下|最底部|最底层|最下边|最下层|最靠下|底下|最低|最下|下面|下方|底部", "bottommost"),
    (r"最大|最高大|最粗|最长|最胖|最壮|大一点的那|大的那|较大的那", "largest"),
    # 最矮 is the shortest, the least of size as 'shortest' is in English (最高 stays a place: the highest up)
    (r"最小|最矮小|最矮|最细|最短|小一点的那|小的那|较小的那", "smallest"),
]
CORNER = re.compile(r"最?(?P<a>左|右)(?P<b>上|下)角|最?(?P<c>上|下)(?P<d>左|右)角")
# '从右边数前两台电脑': the first N counted from a side, the N at that side
FIRST_FROM = re.compile(rf"(?:从)?(?P<dir>左|右|上|下|顶|底)(?:边|侧|面)?(?:往[左右上下])?(?:数|起)(?:的)?(?:前|头){ZH_NUMBER}{CL}?")
ORDINAL_FROM = re.compile(rf"(?:从)?(?P<dir>左|右|上|下|顶|底)(?:边|侧|面)?(?:往[左右上下])?(?:数|起)(?:的)?第{ZH_NUMBER}{CL}?")
ORDINAL_SIDE = re.compile(rf"(?P<dir>左|右|上|下)(?:边|侧|面)?(?:的)?第{ZH_NUMBER}{CL}?")
ORDINAL_SUPER = re.compile(rf"第{ZH_NUMBER}(?P<sup>大|小|高|矮)")
ORDINAL_BARE = re.compile(rf"第{ZH_NUMBER}{CL}")
PLACED = r"(?:停|放|坐|站|躺|挂|趴|蹲|摆|插|贴|落|睡|待|立|泊|靠|晾|堆|叠|摞|飘|浮|游|长|开|骑|装|安|钉|吊|架|躲|藏|显示|写|画|印|刻)"
# measure words of a group ('一堆', '那群'): they say how the objects are gathered, never how many to take
GROUP_CL = "[堆群排摞叠]"
# a relation's clause ends in 的, or in a demonstrative and its measure word ('桌子上那把刀', '椅子旁边那只猫')
RELATION_END = f"(?:的|(?:的)?[那这](?:一?{CL}|些|几{CL}?))"  # '盘子左边那些叉子': 那些 stands where 的 would
_RELATIONS_ENDING_IN_DE = [
    ("near", r"(?:离|距离|靠近|挨着|紧挨着)(?P<a>[^的，,]+?)(?:最近|最近的那|很近|近|比较近)?的"),
    # '挂在窗户上方的灯': 上方 / 上空 after a verb of place is above the anchor, not on it (nor near 'window on top')
    ("above", rf"{PLACED}(?:在|于)(?P<a>[^的，,]+?)(?:的)?(?:上方|上空|正上方)的"),
    ("on", rf"{PLACED}(?:在|于)(?P<a>[^的，,]+?)(?:上面|上边|上|顶上)的"),
    ("in", rf"{PLACED}(?:在|于)(?P<a>[^的，,]+?)(?:里面|里边|里头|里|中|内)的"),
    ("below", rf"{PLACED}(?:在|于)(?P<a>[^的，,]+?)(?:的)?(?:下面|下边|下方|正下方|底下|下)的"),
    ("near", rf"{PLACED}(?:在|于)(?P<a>[^的，,]+?)(?:旁边|边上|附近|旁|边|前面|后面)?的"),
    ("holding", r"(?:手里|手上|嘴里)?(?:拿着|抱着|握着|举着|提着|叼着|捧着|拎着|牵着|扛着)(?P<a>.+?)的"),
    ("wearing", r"(?:戴着|戴了|穿着|穿了|披着|系着|戴|穿)(?P<a>.+?)的"),
    ("on", r"(?:骑着|骑在|(?<![正在])骑)(?P<a>.+?)(?:上)?的"),
    ("left_of", r"(?P<a>[^的，,最]+?)(?:的)?(?:左边|左侧|左面)的"),
    ("right_of", r"(?P<a>[^的，,最]+?)(?:的)?(?:右边|右侧|右面)的"),
    ("above", rf"(?P<a>[^的，,]+?)(?:的)?(?:上方|上空)(?:{PLACED}着?)?的"),
    ("below", rf"(?P<a>[^的，,]+?)(?:的)?(?:下面|下方|底下|下边|下)(?:{PLACED}着)?的"),
    ("near", r"(?P<a>[^的，,]+?)(?:的)?(?:旁边|附近|边上|身边|身旁|旁|隔壁|周围|前面|后面|前边|后边|对面|远处|远端|那头|另一边|"
             r"另一侧)的"),
    # '窗边那只猫', '河边的树': a thing's side (左边, 这边, 两边 are places in the picture or no thing's side)
    ("near", r"(?P<a>[^的，,最]*?[^的，,最左右这那上下前后里外旁东西南北两一])边的"),
    # '门口那个人', '路口的交警': at the door, at the crossing
    ("near", r"(?P<a>[^的，,最]*?门)口的"),
    ("near", r"(?P<a>[^的，,最]*?路口)的"),
    # '柜子顶部的箱子': on top of the cabinet; 屋顶, 楼顶, 车顶 … are words of their own (the roof), whose 上 the next reads
    ("on", rf"(?P<a>[^的，,最]+?)(?<![屋楼车山房头塔帐棚])(?:顶上|顶部|顶端)(?:{PLACED}着?)?的"),
    ("on", rf"(?P<a>[^的，,]+?)(?:上面|上边|上)(?:{PLACED}着?)?的"),
    ("in", rf"(?P<a>[^的，,]+?)(?:里面|里边|里头|里|内|中)(?:{PLACED}着?)?的"),
    # '在沙发上睡觉的猫', '在草地里玩的狗': where it is, then what it does there; the doing stays as its modifier
    ("on", r"在(?P<a>[^的，,在]+?)(?:上面|上边|顶上|上)(?=[\u4e00-\u9fff]{1,4}的)"),
    ("in", r"在(?P<a>[^的，,在]+?)(?:里面|里边|里头|里|中|内)(?=[\u4e00-\u9fff]{1,4}的)"),
    ("below", r"在(?P<a>[^的，,在]+?)(?:下面|下边|下方|底下)(?=[\u4e00-\u9fff]{1,4}的)"),
    ("near", r"在(?P<a>[^的，,在]+?)(?:旁边|边上|附近|旁)(?=[\u4e00-\u9fff]{1,4}的)"),
    # '盘子里切开的橙子', '桌上红色的杯子': the place with its 的 unsaid, then a state or a quality of the thing
    # (the place starts the phrase: '从这堆橙子里挑出最小的' chooses from the heap, which is no place)
    ("in", r"(?:^|(?<=[把将，,\s出中]))(?P<a>[^的，,在从最]{1,6}?)(?:里面|里边|里头|里)(?=[\u4e00-\u9fff]{1,4}的)"),
    ("on", r"(?:^|(?<=[把将，,\s出中]))(?P<a>[^的，,在从最]{1,6}?)(?<![马晚早路])(?:上面|上边|上)"
           r"(?=[\u4e00-\u9fff]{1,4}的)"),
]
ZH_RELATIONS = [(kind, pattern[:-1] + RELATION_END if pattern.endswith("的") else pattern)
                for kind, pattern in _RELATIONS_ENDING_IN_DE]
# words that frame a request or stand for the image: never a noun of the phrase
FRAME = {"请", "请你", "麻烦", "麻烦你", "帮", "帮我", "帮忙", "给我", "我", "你", "您", "我们", "想", "我想", "想要", "要",
         "我要", "需要", "能", "能不能", "可以", "可不可以", "一下", "下", "把", "将", "都", "吧", "呀", "啊", "呢", "了",
         "哦", "嘛", "谢谢", "谢", "出来", "出", "来", "起来", "图", "图中", "图里", "图片", "照片", "画面", "图像", "里",
         "中", "上", "这张", "张", "所有", "全部", "全都", "每个", "每一个", "每", "一些", "那些", "这些", "那", "这",
         "那个", "这个", "哪", "哪个", "的", "地", "得", "随便", "随意", "任意", "任选", "给", "和", "也", "还", "再",
         "就", "就行", "就够", "就够了", "够了", "够", "足够", "行", "好", "只", "仅", "并", "然后", "以", "格式",
         "json", "xml", "坐标", "位置", "检测框",
         "框", "掩码", "分割图", "结果", "区域", "所在", "其", "它", "它们", "该", "名字", "其他", "其它", "其余",
         "别的", "剩下", "剩余", "余下", "一起", "一并", "同时", "的话", "轮廓", "边框", "蒙版", "遮罩", "选区", "外框",
         "包围框", "边界框", "mask", "掩膜", "跳过", "忽略", "别管", "不用",
         # greetings around a request ('你好，请把狗标出来，谢谢你')
         "你好", "您好", "大家好", "哈喽", "早上好", "早安", "中午好", "下午好", "晚上好", "谢谢你", "谢谢您",
         "多谢", "感谢", "谢啦", "谢了"}
REQUEST_VERBS = {"画个圈", "画圈", "画个方框", "画方框", "打个圈", "圈一圈", "框一框", "做个遮罩", "做遮罩", "做个蒙版", "做蒙版", "做个掩码", "做掩码", "生成遮罩", "生成掩码", "生成蒙版",
                 "抠", "扣", "抠出", "抠出来", "扣出来", "扣出", "抠图", "分割", "分割出", "分割出来", "分出", "分出来", "选",
                 "选中", "选出", "选出来", "选上", "选择", "挑", "挑出", "挑出来", "标", "标出", "标出来", "标记", "标注",
                 "找", "找出", "找出来", "找到", "圈", "圈出", "圈出来", "圈起来", "框出", "框出来", "框起来", "高亮",
                 "高亮显示", "显示", "识别", "检测", "提取", "定位", "输出", "给出", "描出", "勾出", "勾勒", "分离", "抠掉",
                 "获取", "得到", "保留", "留下", "找一下", "看看", "指出", "描边", "圈选", "框选", "勾出", "勾勒出", "描出来",
                 "勾出来", "框住", "圈住", "画出", "画出来", "描绘", "描绘出", "剪下来", "剪出来", "剪出", "挑选", "挑选出",
                 "挑选出来", "画框", "画个框", "加框", "打框", "套框", "涂色", "上色", "勾勒", "框一下", "圈一下",
                 # colloquial 'get it out' after the 把-frame ('把那只猫弄出来'): the request, never an idiom
                 "弄出来", "弄出", "搞出来", "整出来",
                 # 拣 picks out, as 挑 does (Cantonese and northern speech: '揀出', '拣出来')
                 "拣", "拣出", "拣出来",
                 # 'take a look at' in speech ('瞅瞅图里发芽的土豆，全给整出来')
                 "瞅瞅", "瞅一瞅", "瞅一下", "瞧瞧", "瞧一瞧", "瞧一下"}
OBJECT_PLACEHOLDERS = {"物体", "东西", "物品", "对象", "目标"}
# the first characters of request verbs our list lacks ('选取', '分隔出来'): a verb that starts so is the request
REQUEST_CHARS = "选标圈框抠扣分找挑拣勾描提截"


EN_COUNT_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                  "ten": 10, "eleven": 11, "twelve": 12}


def english_counts(text: str) -> str:
    """'three 个 wine glasses', '选 two 个': an English number before a classifier counts as the digits would;
    '选出 two deer': before an English noun in a Chinese request, as the digits and 个 would."""
    words_re = "|".join(EN_COUNT_WORDS)
    text = re.sub(rf"(?i)\b({words_re})\s*(?=[{ZH_CLASSIFIERS}])", lambda m: str(EN_COUNT_WORDS[m.group(1).lower()]),
                  text)
    if not re.search(r"[\u4e00-\u9fff]", text):
        return text
    return re.sub(rf"(?i)(?<![A-Za-z])({words_re})\s+(?=[A-Za-z]{{3,}})(?!(?:of|more|or|and|piece|tone)\b)",
                  lambda m: f"{EN_COUNT_WORDS[m.group(1).lower()]}个", text)


def zh_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if len(text) == 2 and text[0] == "十":
        return 10 + ZH_DIGITS.get(text[1], 0)
    if len(text) == 2 and text[1] == "十":
        return ZH_DIGITS.get(text[0], 0) * 10
    return ZH_DIGITS.get(text) if len(text) == 1 else None


ZH_EXTREME_PLACE = {"高": "最上面", "上": "最上面", "低": "最下面", "下": "最下面", "左": "最左边", "右": "最右边"}
ZH_POSITION_OF = {"left": "最左边", "leftmost": "最左边", "right": "最右边", "rightmost": "最右边", "top": "最上面",
                  "topmost": "最上面", "bottom": "最下面", "bottommost": "最下面", "middle": "中间", "center": "中间",
                  # '只留 biggest 的那个': an English superlative in a Chinese request
                  "biggest": "最大", "largest": "最大", "smallest": "最小", "tallest": "最高", "shortest": "最矮",
                  "highest": "最上面", "lowest": "最下面"}


# ------------------------------------------------------------------------------------------------ follow-ups
# '再帮我加上那只猫': the request's frame may stand between 再 and the verb of addition ('加框' draws a box)
ADD = re.compile(r"^(?:请|麻烦你?|你)?(?:再|也|还|另外|顺便)?(?:帮我|给我|帮忙|替我)?(?:加上|添加|增加|补上|加进来|加(?!框))|"
                 r"也(?:选|抠|分割|标|圈|框|找|加|要)|也一起|^还有|再加|再选|再把|"
                 r"再找|再标|再抠|也给我|^(?:也|还|另外)把|"
                 # the 把-frame's verb of addition at the end: '把红色的郁金香加上', '那个杯子也算上吧'
                 r"(?:加上|添上|补上|算上|加进来|加进去|也要)(?:吧|呢|啊|呀|哈)?\s*[。.!！~～]*$")
# '摩托车别算进去', '那两个不算': not counting something in, said of the previous answer, takes it out of it
NOT_COUNTED = r"(?:别|不要|不用|不)算(?:进去|进来|在内|上|进)?"
REMOVE = re.compile(r"去掉|删掉|删除|移除|拿掉|取消|去除|不要了|不用了|排除|扔掉|剔除|^不要(?!像)|(?<![A-Za-z])(?:remove|delete|drop)(?![A-Za-z])")
# '好的，那现在只保留…': an acknowledgement and 'then, now' before the refine word; '不对，只要…', '错了，只保留…': a
# correction of the last answer before it, which the refine word then narrows
REFINE = re.compile(r"^(?:(?:好的?|好吧|行|嗯|可以|ok|OK)[，,\s]*|(?:不对|不是这个|不是这些|不是|错了|搞错了|弄错了|"
                    r"你搞错了|你弄错了)[了啦吧呀啊]?[，,。!！\s]+|"
                    # '猫不要，只要狗': what is not wanted, said before the refine word names what is
                    r"[\u4e00-\u9fff]{1,6}?(?:不要|别要|不用)了?[，,。\s]+)?(?:那么?|那就)?(?:现在)?"
                    # '橘子只保留最小的三个': the object named as a topic before the refine word
                    # ('cones 只留下最小的那三个': the topic in English)
                    r"(?P<topic>(?!我|你|他|她)(?:[\u4e00-\u9fff]{1,4}?|[A-Za-z][A-Za-z ]{0,24}?\s*)"
                    r"(?=只要|只保留|只留|仅保留|就留|随便留|随意留))?"
                    r"(?:只要|只保留|只留下?|就留下?|只选|仅保留|仅要|就要|只剩下?|只看|保留|留下|只需要|随便留下?|随意留下?)")
REST_CLAUSE = re.compile(r"^(?:其余|其他|其它|剩下|剩余|别的|余下)(?:的)?(?:都|全)?(?:去掉|删掉|不要|删除|移除|扔掉)?(?:了)?$")


# '算了，…', '不对，…': never mind or a correction before the follow-up, which says what to do
CORRECTION_LEAD = re.compile(r"^(?:算了|不对|不是这个|不是这些|错了|搞错了|弄错了|你搞错了|你弄错了|哎呀|等一下|等等|等下)[了啦吧呀啊]?[，,。!！\s]+")


# '剩下的 cups 里只要最左边那俩': what the last answer left, then a choice among it
REST_OF_LAST = re.compile(r"^(?:剩下|其余|剩余|余下)\s*的\s*(?P<topic>[\u4e00-\u9fffA-Za-z ]{1,16}?)\s*(?:里面|里边|里|当中|中)\s*"
                          r"(?=只要|只保留|只留|就留|随便留|留下|保留)")


# '只要一个 croissant 就好': how many of a named object are enough, as 'just pick one croissant' asks anew ('只要两个就好',
# with no object, still narrows the last answer)
JUST_A_COUNT_OF = re.compile(rf"^\s*我?(?:只要|只需要|就要)\s*{ZH_NUMBER}\s*{CL}?\s*[A-Za-z\u4e00-\u9fff][^，,]*?"
                             r"(?<!的)(?:就好|就行|就可以|即可)")


def take_followup(text: str) -> tuple[str, str]:
    rest_of_last = REST_OF_LAST.search(text)
    if rest_of_last:
        text = text[rest_of_last.end():]
        return "refine", rest_of_last.group("topic").strip() + REFINE.sub("", text, count=1)
    if JUST_A_COUNT_OF.match(text):
        return "new", re.sub(r"^\s*我?(?:只要|只需要|就要)", "", text)
    if REFINE.search(text):
        return "refine", REFINE.sub(lambda m: m.group("topic") or "", text, count=1)
    text = CORRECTION_LEAD.sub("", text, count=1)
    clauses = re.split(r"[，,；;]", text)
    # '所有香蕉都分割出来，烂的不要' is an exclusion, not a removal: removal words in the first clause only; and
    # a removal word wins over 再 / 也 ('再把左边那个也去掉吧' removes one more)
    if (REMOVE.search(clauses[0]) or _not_counted_in(clauses[0])) and not re.search(r"除了|除外", text):
        return "remove", re.sub(rf"{NOT_COUNTED}|去掉|删掉|删除|移除|拿掉|取消|去除|不要了|不要|排除|扔掉|剔除|"
                                r"(?<![A-Za-z])(?:remove|delete|drop)(?![A-Za-z])\s*掉?", "", text)
    if ADD.search(text):
        return "add", re.sub(r"再加上|加上|加进来|加进去|添上|算上|添加|增加|补上|也|再|还有|另外|顺便", "", text)
    return "new", text


# a verb of turning a colour before 的 (发黄的, 变紫了的, 泛白的, 转成红色的): the state it leaves, that colour
COLOUR_CHANGE = re.compile(r"(?:发|变|泛|转)(?:成|得)?(?P<c>[红橙黄绿青蓝紫黑白灰褐棕粉])(?P<s>色?)(?=(?:了|过)?的)")


# '热带鱼太多了，选两条就好': the topic with a remark on how many there are, then a count of it in its own clause
TOPIC_REMARK = re.compile(r"""(?x)
    ^(?P<topic>[\u4e00-\u9fffA-Za-z\ ]{1,10}?) (?:实在|真的|也)?
    (?: 太多了 | 太多 | 很多 | 好多 | 这么多 | 有很多 | 有好多 | 一大堆 | 多得很 | 多得是 ) [啊呀了吧呢哦]*         # a remark on how many
    (?= [，,] \s* [^，,]*? [\d一两二俩三四五六七八九十几] \s* [个只条把辆台根块张本瓶件头匹位棵朵片艘架颗支] )   # then a count
""")
INTERNET_REMARKS = re.compile(r"家人们(?:谁懂啊?)?|谁懂啊|绝绝子|yyds|YYDS|救命(?:啊|呀)?|[球求][球求](?:你|您|了|啦)+|"
                              r"谢谢宝(?:宝|子)?|宝子们?|笑死(?:我了)?|好家伙|破防了|无语(?:子|了)?|离谱|栓Q|芭比Q了|"
                              r"蚌埠住了|绷不住了|我真的会谢|真的会谢|整点好活|整活|(?:哈哈|呜呜|嘿嘿|嘻嘻)[哈呜嘿嘻]*")
# one of them as a clause of its own (at a clause's end they mark a cry of delight, which is_narrative_clause reads)
REMARK_CLAUSE = re.compile(rf"(?:^|(?<=[，,。!！?？~～\s]))(?:{INTERNET_REMARKS.pattern})[啊呀了吧哈!！~～]*"
                           r"(?=\s*(?:[，,。!！?？~～]|$))")
PRAISE_REMARK = re.compile(r"(?<=[\u4e00-\u9fff])(?:也|真的?|实在|简直)?太(?!多)[\u4e00-\u9fff]{1,3}?了(?:吧|啊|呀|哦)?"
                           r"(?=\s*(?:[，,。!！?？~～]|$))")
# '锤子、钳子、扳手这些工具', '苹果、梨和桃子等水果': a list that ends in a word for its kind; the kind names no
# object of its own ('秤跟那些苹果': 那些 after 跟 points at the apples, so only a list with 、 ends in 这些 + kind)
LIST_KIND = re.compile(r"(?<=[\u4e00-\u9fffA-Za-z])(?:这些|那些|这几样|这几种|这几类)[\u4e00-\u9fff]{1,3}?(?=都|全|[，,]|\s|$)")
LIST_KIND_AFTER_DENG = re.compile(r"(?<=[\u4e00-\u9fffA-Za-z])等[\u4e00-\u9fff]{1,3}?"
                                  r"(?=都|全|[，,。!！]|\s|$|(?:给我)?(?:标|选|圈|框|抠|分割|找|挑|描))")
CHOSEN_FROM = re.compile(r"(?:帮我|请)?从(?P<source>[\u4e00-\u9fff]{0,6}?)(?P<where>里面|里边|里头|里|当中|之中|中|上)"
                         r"(?:帮我|给我)?(?P<verb>(?:随便|随意)?(?:挑|选|找|标|圈|框|抠|拣|分割)出?)")
# a heap or a group of the very things chosen ('这堆苹果', '那群鸭子'): what is chosen, said before the choice
GROUP_OF = re.compile(r"^(?:这|那|一)?(?:群|堆|些|几个|帮|伙|排|串)")


def _chosen_from(match: re.Match) -> str:
    """'从人群里挑五个人' -> '挑五个人': the crowd is everyone; '从盘子里选三块饼干' -> '选盘子里的三块饼干': a place is
    where the chosen ones are; '从这堆苹果里挑两个' stays as said (the heap names what is chosen)."""
    source = match.group("source")
    if source in ("", "这", "那", "这些", "那些", "其", "人群", "人堆", "人海"):  # '从里面挑三个': from what is there
        return match.group("verb")
    if GROUP_OF.search(source):
        return match.group(0)
    return match.group("verb") + source + ("上的" if match.group("where") == "上" else "里的")


AMONG_THESE = re.compile(r"^(?:这|那)(?:几个|几只|几样|几张|几条|几辆|些|几)?(?:里面|里边|里头|里|当中|之中|中)(?![的面边头间])[，,\s]*")
# '格子图案的围巾', '条纹花纹的T恤': a pattern's word for 'pattern' after it
PATTERN_WORD = re.compile(r"(?<=格子|条纹|斑点|碎花|豹纹|格纹|波点|圆点|迷彩|花纹)(?:图案|花纹|纹路)")


FUSED_COUNTS = {"俩": "两", "仨": "三"}  # two, three with their measure word in them


def _flavour_as_kind(text: str) -> str:
    """'巧克力味的' -> '巧克力的': 味 (flavour) after a word that names an object, before 的, goes ('美味的' stays)."""
    out, position = [], 0
    for match in re.finditer(r"口?味(?=的)", text):
        before = words(text[:match.start()])
        if before and len(before[-1][0]) >= 2 and _names_an_object(before[-1][0]):
            out.append(text[position:match.start()])
            position = match.end()
    return "".join(out) + text[position:]


def normalise_chinese(text: str) -> str:
    """The Chinese request as the reading and its coverage check both see it: the states of `colour_change_states`,
    a topic's remark on how many there are, a list's word for its kind, a pattern's word for 'pattern'."""
    text = PATTERN_WORD.sub("", colour_change_states(text))
    # '把椅子也标上', '猫也一起框上吧': a mark put on it at the end of the request, as 标出来 asks (a word of its own
    # for jieba would cut '画框上方' wrong)
    text = re.sub(r"(?<![画相方边线镜门窗])([框标圈勾])上(?=[吧了啊呀哈]*\s*[。！!~～]*\s*$)", r"\1出来", text)
    # '不要共享单车，其他的自行车都选出来': what is not wanted first, then 'the others', as 除了 … 其他的 says
    text = re.sub(r"^\s*(?:请|帮我)?(?:不要|别要)([^，,]{1,12})[，,]\s*(?=其他|其余|别的)", r"除了\1，", text)
    # '标俩碗就行': a container that is also a measure word ('一碗饭'), with nothing after it, is the object counted
    text = re.sub(r"(俩|仨|[一两二三四五六七八九十\d]+)(碗|杯|盒|瓶|袋|箱|盘|桶|罐|篮|壶|锅)"
                  r"(?=\s*(?:出来|出|就行|就好|就可以|吧|即可|$|[，,。！!]))",
                  lambda m: FUSED_COUNTS.get(m.group(1), m.group(1)) + "个" + m.group(2), text)
    # '巧克力味的不要', '草莓味的冰淇淋': a noun's flavour (味) before 的 is that noun said as the kind
    text = _flavour_as_kind(text)
    # '帮我标处五片叶子', '标初来': 出 typed as 处 or 初, which sound alike, after a verb of marking
    text = re.sub(r"(?<=[标框圈选抠])[处初](?=来|[\u4e00-\u9fff\s]|$)", "出", text)
    # '只 keep 红色的 apples': the English verb of keeping after 只
    text = re.sub(r"(?i)只\s*keep\s*", "只保留", text)
    # '画框上方的钟': a picture frame with a place after it, not the request to draw a box (画框)
    text = re.sub(r"画框(?=上方|上面|上边|下方|下面|里|旁边|左边|右边|的)", "相框", text)
    # '那床被子', '一床羽绒被': 床 counts bedding, as 个 would (that bed is '那张床')
    text = re.sub(r"(?<=[那这一两二三四五\d])床(?![上边头下前旁里底单垫])(?=[^，,]{0,6}?(?:被|毯|褥|床单|凉席))", "个", text)
    # 'T恤': a t-shirt, half in Latin letters (read as one Chinese word, 体恤衫)
    text = re.sub(r"[Tt]\s*(?:恤|卹)衫?", "体恤衫", text)
    # '这几个里面随便留一个', '这些当中只要两个': the last answer named as what to choose from is 其中
    text = AMONG_THESE.sub("其中", text)
    # '从人群里挑五个人', '从盘子里选三块饼干': what the choice is made from; a crowd or a heap is no place
    text = CHOSEN_FROM.sub(_chosen_from, text)
    # '货架最顶上那盒饼干', '书架最上面那本书': the end of a thing named, with no 里 or 上 after it, is where in the
    # picture the one meant is: the thing is the frame of the superlative, no place of its own
    text = FRAME_OF_EXTREME.sub(lambda m: "" if _frame_of_extreme(m.group("frame")) else m.group(0), text)
    # '这里面的猫', '把这里的杯子…': 'here' in the picture names no place of its own
    text = re.sub(r"(?:^|(?<=[把将给，,\s]))(?:这|那)里(?:面|边|头)?的", "", text)
    # '那个很大的充气城堡', '非常旧的椅子': how much of a quality is no part of the object's name
    text = re.sub(r"(?:很|非常|特别|超级|超|挺|十分|相当|有点儿?|有些)(?=[\u4e00-\u9fff]{1,3}的)(?!多)", "", text)
    # '把所用的鹦鹉': 所有 typed by its sound (suǒyòng for suǒyǒu) before 的 and a noun
    text = re.sub(r"(?<=[把将])所用的(?=[\u4e00-\u9fffA-Za-z])", "所有的", text)
    text = TOPIC_REMARK.sub(lambda m: m.group("topic"), text, count=1)
    # '家人们谁懂啊，', '绝绝子，', '，球球了', '，谢谢宝': the internet's interjections and pleas, a clause of their own, name
    # nothing (at a clause's end, '今天的小可爱们绝绝子', they mark the clause a cry of delight); '也太可爱了吧'
    # is a remark on the topic before it, and a clause-final 哈 softens ('黄色的不要哈')
    text = REMARK_CLAUSE.sub(" ", text)
    text = PRAISE_REMARK.sub("", text)
    text = re.sub(r"哈+(?=\s*(?:[，,。!！?？~～]|$))", "", text)
    # '木头做的梯子', '不是塑胶做的汤匙': what a thing is made of, said with 做的 / 制成的, is its material
    text = material_made_of(text)
    text = "".join(_pair_said_as_one(word) for word, _ in words(text, keep_spaces=True))
    # '那盆花': a flower counted by its pot is a potted plant (SAM3's phrase, and 盆栽 ours)
    text = re.sub(r"(?<=[那这一两俩几三四五六七八九十\d])盆(?:花|植物|绿植)(?![\u4e00-\u9fff]*?子)", "盆盆栽", text)
    # '个头最大的两头牛': by body size, which the superlative already says
    text = re.sub(r"(?:个头|个子|体型)(?=最|比较|特别|很)", "", text)
    # '用方框把所有的垃圾桶框出来', '用红笔圈出…': what to mark with, the answer's form, names no object
    text = MARK_WITH.sub("", text)
    # '把手里拿着气球的小女孩': the 把-frame before 手里 (jieba reads 把手, a handle)
    text = re.sub(r"(?<=把)(?=手(?:里|上|中))", " ", text)
    # '穿红衣服站在最左边的小孩': what it wears, then where it stands; said place first, each ends in its own 的
    text = WORN_THEN_PLACED.sub(r"\g<p>的\g<w>的", text)
    # '能不能把…', '可不可以帮我…', '要不要': a question's 'A or not A' asks politely; its 不 negates nothing
    text = A_NOT_A.sub(r"\1", text)
    text = LIST_KIND.sub(" ", text) if "、" in text else text
    # a list's kind only after a list ('等一下' is 'wait')
    listed = re.search(r"[\u4e00-\u9fffA-Za-z][、和及与跟][\u4e00-\u9fffA-Za-z]", text)
    return LIST_KIND_AFTER_DENG.sub(" ", text) if listed else text


MARK_WITH = re.compile(r"(?:^|(?<=[，,\s])|(?<=帮我)|(?<=请)|(?<=麻烦))用(?:一个|个)?[^，,把将给\s]{0,6}?"
                       r"(?:方框|框|圆圈|圈|线|笔|颜色|色块|掩码|遮罩|蒙版)(?=\s*(?:把|将|给|标|圈|框|描|抠))")
# '，黄色的那种': a clause of only the kind meant ('the yellow kind') after the object
KIND_CLAUSE = re.compile(r"^(?:要|只要)?(?P<m>[^，,\s]{1,8}?)的?那(?:种|些|款|类|样)(?:的)?(?:就行|就好|吧)?$")
WORN_THEN_PLACED = re.compile(r"(?P<w>(?:穿|戴|披)着?[^，,的\s]+?)(?P<p>(?:站|坐|躺|蹲|趴|走|停|待)在[^，,的\s]+?)的")
def _pair_said_as_one(word: str) -> str:
    """'刀叉' (knife and fork), '鞋袜': two objects said as one word, which the dictionary reads 'X and Y' and each
    character names on its own, are the two objects ('刀和叉')."""
    if len(word) != 2 or word in ZH_NOUNS:
        return word
    pair = next((re.fullmatch(r"([a-z]+) and ([a-z]+)", sense) for sense in cedict_senses(word)
                 if re.fullmatch(r"[a-z]+ and [a-z]+", sense)), None)
    first, second = translate_word(word[0]), translate_word(word[1])
    if pair and first and second and first[0] == second[0] == "noun":
        return f"{word[0]}和{word[1]}"
    return word


MADE = re.compile(r"(?:制成|做成|做|制)(?=的)")
MATERIALS = frozenset("wood wooden plastic metal glass paper stone leather steel iron copper aluminum bamboo cloth "
                      "ceramic porcelain rubber silver gold cotton wool silk concrete brick clay".split())


def material_made_of(text: str) -> str:
    """'木头做的梯子' -> '木头的梯子': the verb of making after a material goes (the longest material word that ends
    right before it is looked for); '他做的蛋糕' keeps it."""
    out, start = [], 0
    for made in MADE.finditer(text):
        before = text[start:made.start()]
        if any(_is_material(before[-size:]) for size in (3, 2, 1) if len(before) >= size):
            out.append(before)
            start = made.end()
    return "".join(out) + text[start:]


def _is_material(word: str) -> bool:
    """Whether our vocabulary or the dictionary reads `word` as a material ('木头' wood, '塑胶' plastic)."""
    found = ZH_MODIFIERS.get(word) or ZH_NOUNS.get(word) or (translate_word(word) or ("", ""))[1]
    return bool(found) and found.split()[-1] in MATERIALS


A_NOT_A = re.compile(r"(能|可|会|要|肯|是|行|好)不\1(?=以|[把将帮给替你您请再也都就的们]|$|[，,？?\s])")


def colour_change_states(text: str) -> str:
    """'发黄的叶子' -> '黄的叶子': a leaf that turned yellow is a yellow leaf (jieba keeps 发黄 as a verb no
    dictionary reads as an attribute, or splits 变 + 紫); '黑白相间的猫', '黑白花的奶牛': colours that alternate are the colours;
    '缺了口的碗', '掉了漆的门': a verb and its object parted by 了 are the state the word of both names."""
    text = COLOUR_CHANGE.sub(lambda m: m.group("c") + m.group("s"), text)
    text = re.sub(r"(?<=[色黑白红黄蓝绿灰棕紫橙粉])相间", "", text)
    # '绿油油的叶子', '粉嫩嫩的马卡龙', '蓝不拉几的桶': a colour made vivid or plain in speech is the colour
    text = re.sub(r"(?P<c>[红黄蓝绿白黑灰紫粉橙棕])(?:(?P<b>[\u4e00-\u9fff])(?P=b)|不拉几|不拉叽|不溜秋|不溜丢)(?=的)",
                  r"\g<c>色", text)
    # '黑白花的奶牛': 花 after two colours is their pattern, no flower
    text = re.sub(r"(?<=[黑白红黄蓝绿灰棕紫橙粉]{2})花(?=的|(?!瓶|盆|园|坛|束|朵|生|布|纹|环|圈|架|洒|茶|卷|边|瓣)[\u4e00-\u9fff])", "",
                  text)
    return re.sub(r"(?P<v>[\u4e00-\u9fff])了(?P<o>[\u4e00-\u9fff])",
                  lambda m: m.group("v") + m.group("o") if m.group("v") + m.group("o") in ZH_MODIFIERS else m.group(0),
                  text)


def drop_degree_verbs(text: str) -> str:
    """'飞得最高的那架无人机', '挂得最低的灯': the verb of a degree complement (V得最X) says what the object is doing; the
    superlative after 得 is the selection, and the verb is no part of the object's name (as 'flying the highest')."""
    tokens = words(text, keep_spaces=True)
    kept: list[str] = []
    for index, (word, _tag) in enumerate(tokens):
        after = "".join(w for w, _ in tokens[index + 2:]).lstrip()
        degree = index + 1 < len(tokens) and tokens[index + 1][0] == "得" and after.startswith("最")
        if degree and len(word) <= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", word) and word not in ZH_NOUNS:
            continue
        kept.append(word)
    return "".join(kept)


def _not_counted_in(clause: str) -> bool:
    """'摩托车别算进去': a clause that leaves something out and asks for nothing itself (no request verb) leaves it out
    of the previous answer; '杯子都标出来，有裂纹的不算' asks first, so its 不算 is an exclusion."""
    return bool(re.search(NOT_COUNTED, clause)) and not any(
        word in REQUEST_VERBS or (tag.startswith("v") and word[0] in REQUEST_CHARS) for word, tag in words(clause))


# ------------------------------------------------------------------------------------------------ selection
def take_selection(text: str) -> tuple[Selection, str, list[str]]:
    notes: list[str] = []
    kind_of = {"左": "leftmost", "右": "rightmost", "上": "topmost", "顶": "topmost", "下": "bottommost",
               "底": "bottommost", "大": "largest", "高": "topmost", "小": "smallest", "矮": "bottommost"}
    ordinal = None
    kind = "all"
    first = FIRST_FROM.search(text)
    if first:
        count = zh_number(first.group(2)) or 1
        text = text[:first.start()] + " " + text[first.end():]
        return Selection(kind_of[first.group("dir")], count, None), _strip_demonstratives(text), notes
    match = ORDINAL_FROM.search(text) or ORDINAL_SIDE.search(text) or ORDINAL_SUPER.search(text)
    if match:
        value = zh_number(match.group(1) if match.re is ORDINAL_SUPER else match.group(2)) or 1
        kind = kind_of[match.group("sup") if match.re is ORDINAL_SUPER else match.group("dir")]
        ordinal = value if value > 1 else None
        text = text[:match.start()] + " " + text[match.end():]
        return Selection(kind, 1, ordinal), _strip_demonstratives(text), notes
    match = ORDINAL_BARE.search(text)
    if match:
        value = zh_number(match.group(1)) or 1
        notes.append("an ordinal with no direction is read from the left")
        text = text[:match.start()] + " " + text[match.end():]
        return Selection("leftmost", 1, value if value > 1 else None), _strip_demonstratives(text), notes
    corner = CORNER.search(text)
    if corner:
        vertical = corner.group("b") or corner.group("c")
        kind = kind_of[vertical]
        notes.append("a corner is two directions; the plan keeps the vertical one")
        text = text[:corner.start()] + " " + text[corner.end():]
    else:
        for pattern, name in ZH_SELECT:
            found = re.search(pattern, text)
            if found:
                kind = name
                text = text[:found.start()] + " " + text[found.end():]
                break
    count = None
    text = _strip_demonstratives(text)
    number = _count_match(text)
    if number:
        value = zh_number(number.group(1))
        if value and 1 <= value <= 1000:
            count = value
        text = text[:number.start()] + " " + text[number.end():]
    if count is None and re.search(r"随便|随意|任意|任选", text) and re.search(f"一{CL}", text):
        count = 1
    if kind != "all" and count is None:
        count = 1
    return Selection(kind, count, ordinal), _strip_demonstratives(text), notes


# measure words of a container or a sheet ('这几板药', '两箱苹果', '那盒饼干'): after a demonstrative, 几 or a number
# they count (or point at) the things inside, which the noun after them names; 打 (a dozen) only after a demonstrative
CONTAINER_CL = "板盒袋瓶箱串排包罐桶扎卷沓筐篮盘碟壶束捆"
CONTAINER_COUNT = re.compile(rf"(?:(?P<dem>[这那]一?|[这那]?几)|{ZH_NUMBER})(?P<m>[{CONTAINER_CL}]|(?<=[这那几一])打)"
                             r"(?=\s*[\u4e00-\u9fffA-Za-z])")


def container_measure_words(text: str) -> str:
    """The text with a container's measure word as the plain measure word 个, where it ends a word of its own
    ('这篮球' is a basketball, '这包装' a package: no measure word there)."""
    ends: set[int] = set()
    offset = 0
    for word, _tag in words(text, keep_spaces=True):
        offset += len(word)
        ends.add(offset)
    return CONTAINER_COUNT.sub(lambda m: m.group(0)[:-1] + "个" if m.end() in ends else m.group(0), bunches(text))


BUNCH = re.compile(rf"({ZH_NUMBER}|[这那]一?|几)串")


def bunches(text: str) -> str:
    """'三串葡萄': what hangs together as a bunch is counted and segmented by the bunch ('三个葡萄串', grape bunch)."""
    out, position = [], 0
    for match in BUNCH.finditer(text):
        following = words(text[match.end():])
        if following and following[0][1].startswith("n") and text[match.end():].startswith(following[0][0]):
            noun = following[0][0]
            out.append(text[position:match.start()] + f"{match.group(1)}个{noun}串")
            position = match.end() + len(noun)
    return "".join(out) + text[position:]


def _count_match(text: str) -> re.Match | None:
    """A numeral with its classifier ('两个', '三只', '俩') that covers whole jieba words and is no noun: '零件'
    (a part) and '俩杯子' read as 俩 + 杯子, not 俩杯 + 子."""
    tokens = words(text, keep_spaces=True)
    starts: dict[int, tuple[str, str]] = {}
    offset = 0
    for word, tag in tokens:
        starts[offset] = (word, tag)
        offset += len(word)
    boundaries = set(starts) | {offset}
    for match in list(re.finditer(ZH_NUMBER + f"(?:{CL})", text)) + list(re.finditer(r"(俩|仨)", text)):
        if match.start() not in boundaries:
            continue
        word, tag = starts[match.start()]
        if match.end() in boundaries and not tag.startswith("n"):
            return match
        # jieba's dictionary has '两本书' as one word: a count when the rest is an object word of ours
        if word.startswith(match.group(0)) and len(word) > len(match.group(0)) \
                and word[len(match.group(0)):] in ZH_NOUNS and zh_number(match.group(1)):
            return match
        # '两本书' read by jieba as 两 + 本书 ('this book'): the classifier belongs to the count when the rest of
        # that word is a noun of ours and the word itself is not ('俩杯子' stays 俩 + 杯子)
        number_end = match.start() + len(match.group(1))
        if number_end in starts and number_end < match.end():
            next_word = starts[number_end][0]
            rest = next_word[match.end() - number_end:]
            if next_word not in ZH_NOUNS and rest in ZH_NOUNS:
                return match
            # '三块砖' read as 三 + 块砖, a word no dictionary has: the measure word belongs to the count
            if next_word not in ZH_NOUNS and not cedict_senses(next_word) and len(rest) == 1 \
                    and [s for s in cedict_senses(rest) if not s.startswith("to ")]:
                return match
    return None


def _strip_demonstratives(text: str) -> str:
    """'那只' / '这几个' / '每一个' point, they do not count; nor does a measure word of a group after a
    demonstrative ('这堆橙子', '那群羊': the oranges of this pile, which a number before it would not count either);
    '有扶手的那种': 'that kind' after 的 stands for the noun, as 'the ones' does."""
    return re.sub(f"[那这哪每]一?{CL}|[那这]些|[那这]几{CL}?|每一?{CL}|(?:[那这]一?|一)(?:大|小)?{GROUP_CL}|"
                  f"(?<=的)[那这]一?(?:种|类|款)", " ", text)


# ------------------------------------------------------------------------------------------------ exclusions
EXCLUSIONS = [
    r"除了(?P<x>[^，,]+?)(?:以外|之外)[，,]?",
    r"除了(?P<x>[^，,]+?)(?:以外|之外|外)?的(?!以外|之外|外)",
    r"除了(?P<x>[^，,]+?)外[，,]?",
    r"除了(?P<x>[^，,]+)[，,]",
    r"[,，]\s*(?:但是?|可是|不过)?(?:不要|不包括|不含|除了|除去|别选|别要|别|不选|不要选|去掉|去除|排除|忽略|跳过|"
    r"别管)(?P<x>.+?)$",
    r"[,，]\s*(?:但是?|可是|不过)?(?P<x>.+?)(?:的)?(?:就|都|也)?(?:除外|不要|不算|不用管?|不包括|别选|别要|排除掉?|去掉|忽略|跳过|不选|别管|"
    r"不管|算了|免了)(?:了|掉|它|它们)?(?:吧|啊|呀|哈)?$",
    r"(?:但是?|可是|不过)(?:不要|不包括)(?P<x>.+?)$",
    # '烂苹果不要，其他的都选上': the exclusion first, then the rest, as '除了烂苹果，其他的都选上' says it
    r"^(?P<x>[^，,]+?)(?:就|都|也)?(?:不要|别选|别要|不用|不选|去掉|排除)了?[，,]\s*(?=其他|其它|其余|剩下|剩余|别的|余下)",
]
NEGATED_HAVING = re.compile(r"(?:没有?|不|未)(?P<verb>戴|穿|带|拿|有|系)着?(?P<x>.+?)的")
# '不是玻璃的瓶子': what kind it is not, an attribute of the head like '除了玻璃的'
NEGATED_KIND = re.compile(r"(?:不是|并非)(?P<x>[\u4e00-\u9fff]{1,6}?)(?:做)?的")
NEGATED_STATE = re.compile(r"(?:没有?|不|未)(?P<x>[\u4e00-\u9fff]{1,4}?)(?:过)?的")
HAVING_STATE = re.compile(r"(?<![所没还只拥])(?:有|带)(?:着)?(?P<x>[\u4e00-\u9fff]{1,4}?)的")
RESULT_STATE = re.compile(r"(?P<x>[\u4e00-\u9fff])掉了?的")
PASSIVE_STATE = re.compile(r"被(?P<x>[\u4e00-\u9fff]{1,3}?)(?:了|过)?的")  # '被扎破的轮胎': what was done to it
# '正在吃草的羊': what it is doing now, a state of it ('grazing')
PROGRESSIVE_STATE = re.compile(r"正在(?P<x>[\u4e00-\u9fff]{1,3}?)(?:着)?的")


def take_exclusion(text: str) -> tuple[str, list[tuple[str, str | None]]]:
    """(text without exclusions, [(Chinese fragment, joiner)]) where joiner is None ('red' + head), 'wearing',
    'with', 'holding' or 'state' (a verb: '没开花的' -> 'flowering X')."""
    for pattern in EXCLUSIONS:
        match = re.search(pattern, text)
        if match:
            fragment = match.group("x")
            if _headless_de(match, text):
                fragment += "的"  # '除了巧克力的', '巧克力的不要': 'the chocolate ones', said without the noun
            return text[:match.start()] + " " + text[match.end():], [(fragment, None)]
    match = NEGATED_HAVING.search(text)
    found = translate_word(match.group("x")) if match else None
    if match and match.group("verb") == "有" and (found is None or found[0] != "noun") \
            and state_word(match.group("x")):
        # '没有开花的植物': 没有 before a verb says it has not happened (not flowering), no thing it lacks
        return text[:match.start()] + " " + text[match.end():], [(match.group("x"), "state")]
    if match:
        joiner = {"戴": "wearing", "穿": "wearing", "系": "wearing", "带": "with", "拿": "holding", "有": "with"}
        return text[:match.start()] + " " + text[match.end():], [(match.group("x"), joiner[match.group("verb")])]
    match = NEGATED_KIND.search(text)
    if match:
        return text[:match.start()] + " " + text[match.end():], [(match.group("x"), None)]
    match = NEGATED_STATE.search(text)
    if match and not _negation_inside_a_word(text, match.start()):
        return text[:match.start()] + " " + text[match.end():], [(match.group("x"), "state")]
    return text, []


def _negation_inside_a_word(text: str, start: int) -> bool:
    """Whether the 不 / 没 at `start` begins a word of our lexicon ('不锈钢的' is stainless steel, no negation)."""
    offset = 0
    for word, _ in words(text, keep_spaces=True):
        if offset == start:
            return len(word) > 1 and (word in ZH_MODIFIERS or word in ZH_NOUNS)
        offset += len(word)
    return False


def _headless_de(match: re.Match, text: str) -> bool:
    """Whether an exclusion's fragment was said as 'X的' with no noun after it ('除了巧克力的' at the clause's end,
    '巧克力的不要'); '除了猫的所有动物' joins the exclusion to the noun after it instead."""
    after_x = text[match.end("x"):match.end()]
    return after_x.startswith("的") and not re.match(r"\s*[^\s，,。；;]", text[match.end():])


ZH_MODIFIER_WORDS = frozenset(ZH_MODIFIERS.values())


def done_verbs(text: str) -> set[str]:
    """One-character verbs with 过 or 了 before 的 ('洗过的盘子', '用过的', '咬了的饼干'), by jieba's words: done to the
    object, which is in that state. A longer verb ('枯萎了的') is a word of its own and read as one."""
    segmented = words(text)
    done = set()
    for index, (word, _tag) in enumerate(segmented):
        after = [w for w, _ in segmented[index + 1:index + 3]]
        if len(word) == 1 and after[:2] in (["过", "的"], ["了", "的"]):
            done.add(word)
        elif len(word) == 2 and word[1] in "过了" and after[:1] == ["的"]:
            done.add(word[0])
    return done



def completed_state(verb: str) -> str | None:
    """'洗' -> 'washed', '咬' -> 'bitten': our word for the verb done ('修过' repaired), else the past participle of
    its first dictionary sense 'to X' (a guess among its senses unless SAM3's phrases use it: see `sure_state`); None
    for a verb with no such sense."""
    from lemminflect import getInflection

    for word in (verb + "过", verb + "好", verb):  # our word for it first ('修过' repaired, not 'decorated')
        if word in ZH_MODIFIERS:
            return ZH_MODIFIERS[word]
    for sense in cedict_senses(verb):
        if sense.startswith("to ") and len(sense.split()) == 2:
            forms = getInflection(sense.split()[1], "VBN")
            return forms[0] if forms else None
    return None


# a verb of how a thing is placed, with 着 before 的 ('停着的车', '坐着的人'): the state SAM3's phrases name
POSTURE_STATES = {"停": "parked", "坐": "sitting", "站": "standing", "躺": "lying", "趴": "lying", "蹲": "crouching",
                  "挂": "hanging", "睡": "sleeping", "飘": "floating", "浮": "floating", "飞": "flying", "跑": "running",
                  "游": "swimming", "开": "open", "关": "closed", "亮": "lit",
                  "点": "lit"}  # '点着的蜡烛': a candle that burns


POSTURE_DE = re.compile(rf"([{''.join(POSTURE_STATES)}])着(?=的)")


def sure_state(state: str) -> bool:
    """A state SAM3's phrases or our own vocabulary name ('washed', 'used'): read so, the word is no guess."""
    from segchat.parser.lexicon import curated_modifiers, saco_modifiers

    return state in saco_modifiers() or state in curated_modifiers()


def state_word(fragment: str) -> str | None:
    """'开花' -> 'flowering', '裂缝' -> 'cracked': a verb or a defect noun as the adjective SAM3 reads."""
    from lemminflect import getInflection

    from segchat.parser.lexicon import is_adjective, participle_of, saco_modifiers

    if fragment in ZH_MODIFIERS:
        return ZH_MODIFIERS[fragment]  # '有缺口的': our word for the state before any dictionary's
    posture = re.fullmatch(r"(?P<v>[\u4e00-\u9fff])着?", fragment)
    if posture and posture.group("v") in POSTURE_STATES:
        return POSTURE_STATES[posture.group("v")]  # '停着的': parked, how it is placed
    if len(fragment) >= 2 and fragment[-1] in "掉完" and fragment[:-1] in ZH_MODIFIERS:
        return ZH_MODIFIERS[fragment[:-1]]  # '枯掉的', '烂掉的': the verb's result complement (away, done) adds nothing
    senses = cedict_senses(fragment)
    if len(fragment) >= 3 and not senses:
        # a cause and the state it left ('被雨淋湿的': the state it ends in, 湿 wet, the cause aside); two characters
        # are a word of their own ('扎破', punctured, is no 'broken')
        for end in (fragment[-2:], fragment[-1:]):
            if end in ZH_MODIFIERS:
                return ZH_MODIFIERS[end]
    for sense in senses:
        word = sense.removeprefix("to ").split()[0] if sense.startswith("to ") and len(sense.split()) == 2 else None
        if word:
            for form in (getInflection(word, "VBG") or ()) + (getInflection(word, "VBN") or ()):
                if form in saco_modifiers():
                    return form
        elif len(sense.split()) == 1:
            # '轮子' (wheel) is a noun SA-Co puts before others ('wheel loader'), no state: its participle is one
            noun_only = "NOUN" in lemmas(sense) and "ADJ" not in lemmas(sense)
            if is_adjective(sense) and sense in saco_modifiers() and not noun_only:
                return sense
            form = participle_of(sense)
            if form:
                return form
    return _dictionary_state(fragment)


def _dictionary_state(fragment: str) -> str | None:
    """A state SA-Co has no word for, as the dictionary says it: its one-word participle ('枯萎' wilted), else the
    participle our reading of the word gives ('压扁' crushed); a noun sense ('划痕' scratch) is no state."""
    from segchat.parser.lexicon import is_participle

    for sense in cedict_senses(fragment):
        if len(sense.split()) == 1 and is_participle(sense):
            return sense
    found = translate_word(fragment, "v")
    return found[1] if found and found[0] == "mod" and is_participle(found[1]) else None


# ------------------------------------------------------------------------------------------------ noun phrases
def noun_phrase(text: str) -> tuple[str, bool, list[str]]:
    """(English phrase, every word known, notes) for a Chinese fragment: words are segmented, the frame and the
    verbs taken out, and the rest translated whole."""
    done = done_verbs(text)  # '洗过的', '用过的': one verb, done to the object
    text = POSTURE_DE.sub(lambda m: f" {POSTURE_STATES[m.group(1)]} ", text)  # '停着的车': parked
    text = re.sub(r"[了过着]的", "的", text)
    pieces: list[tuple[str, str]] = []
    notes: list[str] = []
    request_nouns: list[str] = []
    asked = False  # a Chinese verb of request is in the fragment
    for chunk in re.findall(r"[A-Za-z][A-Za-z\-' ]*[A-Za-z]|[A-Za-z]|[\u3400-\u9fff]+", text):
        if chunk[0].isascii():
            from segchat.parser.english import noun_phrase as english_noun_phrase

            if chunk.strip() in POSTURE_STATES.values():
                pieces.append((chunk.strip(), "eng"))  # '停着的车': the state put in its place above
                continue

            if chunk.lower().strip() in EN_REQUEST_VERBS | JARGON:
                if chunk.lower().strip() in REQUEST_WORD_OBJECTS:
                    request_nouns.append(chunk.lower().strip())
                continue  # '帮我 mask 一下…', '把…remove 掉': the request in English, no object
            english_words = chunk.lower().split()
            while len(english_words) > 1 and english_words[0] in EN_REQUEST_VERBS and english_words[1] not in JARGON:
                english_words.pop(0)  # '帮我 segment 两个 helmets': the count between them was read already
            english, _, _ = english_noun_phrase(" ".join(english_words))
            if not english and len(english_words) == 1 and english_words[0].isalpha() \
                    and english_words[0] not in CLOSED_CLASS and not lemmas(english_words[0]):
                english = english_words[0]  # 'terracotta 花盆': a word lemminflect has no part of speech for
            if english:
                pieces.append((english, "eng"))
            continue
        segmented = words(chunk)
        for index, (word, tag) in enumerate(segmented):
            asked = asked or word in REQUEST_VERBS or (tag.startswith("v") and word[0] in REQUEST_CHARS
                                                       and len(word) <= 3)
            single = _single_character_noun(word, tag, index, segmented)
            if single:
                pieces.append((single, "eng"))  # '两块砖': one character after its measure word names the object
                continue
            if word not in FRAME and word not in REQUEST_VERBS and (word in ZH_NOUNS or word in ZH_MODIFIERS):
                pieces.append((word, "n" if word in ZH_NOUNS else "a"))
                continue
            if tag == "l" and _names_an_object(word):
                pieces.append((word, "n"))  # '无人机', '打火机': jieba calls them set phrases, the dictionary objects
                continue
            if tag in ("i", "l") and word not in REQUEST_VERBS:
                notes.append(f"idiom left out: {word}")  # '见义勇为': a judgement, no object
                continue
            if (tag == "q" or word == "串") and word in HOLDER_CHARACTERS and pieces and pieces[-1][1].startswith("n"):
                # '哑铃架': right after a noun, its rack, no measure word ('麦克风架': a stand, the word SAM3's
                # phrases use with that noun)
                pieces.append((_holder_word(word, pieces[-1]), "eng"))
                continue
            if word in FRAME or word in REQUEST_VERBS or tag in ("uj", "ul", "uz", "ug", "ud", "y", "e", "o", "c", "p",
                                                                   "r", "m", "q", "mq", "d", "x", "w"):
                if tag == "m" and word not in FRAME and not re.fullmatch(ZH_NUMBER, word):
                    pieces.append((word, tag))
                continue
            if tag.startswith("v") and word[0] in REQUEST_CHARS and len(word) <= 3:
                continue  # '选取', '分隔出来': a request verb our list lacks, read by its first character
            if tag.startswith("v") and len(word) == 2 and word[1] in "坏破碎烂裂瘪" and word[1] in ZH_MODIFIERS:
                pieces.append((word[1], "a"))  # '踩坏的', a verb and its result our list lacks: the result is the state
                continue
            if len(word) == 2 and word[0] in "弄搞整" and word[1] in ZH_MODIFIERS:
                pieces.append((word[1], "a"))  # '弄脏的' (jieba: a noun): 'make' and the state it leaves, dirty
                continue
            if word == "子" and pieces and pieces[-1][1] != "eng":
                continue  # '竹篮子': the noun suffix our dictionary's shorter word left over, not 'child'
            state = _state_before_de(word, tag, index, segmented)
            if state:
                pieces.append((state, "eng"))  # '枯萎的叶子': a verb before 的 says the state the noun is in
                continue
            done_state = completed_state(word[0]) if word[:1] in done and (len(word) == 1 or word[1] in "过了") \
                and word not in ZH_MODIFIERS else None
            if done_state:
                pieces.append((done_state, "eng"))
                if not sure_state(done_state):
                    notes.append(f"what was done to it, read from the verb's first sense: {word} → {done_state}")
                continue
            if tag.startswith("v") and not tag.startswith("vn"):
                notes.append(f"verb left out: {word}")  # '击掌', '好看', '换成': no object word
                continue
            pieces.append((word, tag))
    # '最顶上的那个 box 帮我抠一下': 抠 asks, so the box is what to cut out; '只保留最左边的那个 box': the word
    # stands where the noun does, after 那个 or 的 at the end
    noun_slot = re.search(r"(?:[那这][个只件块张条把台]?|的)\s*[A-Za-z]+\s*$", text)
    if not pieces and len(request_nouns) == 1 and (asked or noun_slot):
        return request_nouns[0], True, notes
    if not pieces:
        return "", True, notes
    pieces = read_compound_heads(join_split_words(pieces))
    phrase, known = translate_words(pieces)
    doer = re.fullmatch(r"(?P<mods>(?:[a-z\-]+ )*?)(?P<p>[a-z]+ing) person", phrase)
    agent = agent_noun(doer.group("p")) if doer else None
    if agent:
        phrase = doer.group("mods") + agent  # '滑雪的人': a skier, who does it
    notes.extend(_sense_guesses(pieces))
    return phrase, known, notes


# measure words that, right after a noun (no number or demonstrative before them), are the thing that holds it:
# '哑铃架' dumbbell rack, '饼干盒' biscuit box, '垃圾袋' garbage bag (jieba tags them as measure words). Our noun list
# names most; 架 is none of its nouns (after a number it counts machines, '一架飞机'), nor are 筐 and 篮 alone
HOLDER_CHARACTERS = frozenset("架盒箱袋瓶桶筐篮片串")
# 片 right after a noun is a slice of it ('面包片' bread slice, '西瓜片'), as a measure word before one it counts
HOLDER_ONLY = {"架": "rack", "筐": "basket", "篮": "basket", "片": "slice", "串": "bunch"}

# the things a 架 may be after a noun, the commonest first: the one that makes a phrase SAM3 knows with it is taken
HOLDER_SENSES = {"架": ("rack", "stand", "shelf", "frame")}


def _holder_word(word: str, owner: tuple[str, str]) -> str:
    """'哑铃架' dumbbell rack, '麦克风架' microphone stand, '饼干盒' cookie box: the holder's word after its noun."""
    named = translate_word(*owner)
    chosen = sense_after(named[1], HOLDER_SENSES.get(word, ())) if named else None
    return chosen or (ZH_NOUNS.get(word) if word not in "片串" else None) or HOLDER_ONLY[word]


# English words of request that also name a thing: the thing, when a Chinese verb makes the request
REQUEST_WORD_OBJECTS = frozenset({"box", "frame", "tag", "label", "mask", "circle", "flag", "track", "display"})



def _state_before_de(word: str, tag: str, index: int, segmented: list[tuple[str, str]]) -> str | None:
    """The state a verb of two characters or more names when 的 follows it ('枯萎的', '压扁的'); None otherwise."""
    senses = cedict_senses(word)
    only_verb = bool(senses) and all(sense.startswith("to ") for sense in senses) and word not in ZH_NOUNS
    # '跑步的人': jieba may tag a verb a noun; a word the dictionary reads only as verbs is a verb
    if not (tag.startswith("v") or only_verb) or tag.startswith("vn") or len(word) < 2 or word in REQUEST_VERBS:
        return None
    if index + 1 >= len(segmented) or segmented[index + 1][0] != "的":
        return None
    return state_word(word)


def _single_character_noun(word: str, tag: str, index: int, segmented: list[tuple[str, str]]) -> str | None:
    """'两块砖', '那根棍': a character of its own that jieba tags a noun (or a name, or a bound morpheme) and whose one
    dictionary sense is a noun names the object, though the dictionary's word may also stand before a noun ('brick
    wall'); before 的 it stays a modifier ('木的': wooden ones)."""
    if len(word) != 1 or not tag.startswith(("n", "zg")) or word in ZH_NOUNS or word in FRAME \
            or ZH_MODIFIERS.get(word + "色"):
        return None  # a colour ('红') stays a colour
    if index + 1 < len(segmented) and segmented[index + 1][0] in ("的", "色", "质", "制", "做"):
        return None
    if any(re.search(r"[\u4e00-\u9fff]", w) and not t.startswith(("v", "u", "y", "x", "w", "e"))
           for w, t in segmented[index + 1:]):
        return None  # a character before another content word is that word's attribute ('砖墙' cut apart)
    # a character that is also a verb ('掉', to fall) is read so: only a character with one sense, an object, is one
    senses = [ZH_MODIFIERS[word]] if word in ZH_MODIFIERS else list(cedict_senses(word))
    if len(senses) != 1 or " " in senses[0] or not is_noun(senses[0]) or is_participle(senses[0]):
        return None
    return senses[0]


def _compound_of(word: str, head: str) -> bool:
    """'tablespoon' is 'table' + 'spoon', a kind of spoon."""
    prefix = word[:-len(head)]
    return word != head and word.endswith(head) and len(prefix) >= 3 and is_known(prefix)


FRAME_OF_EXTREME = re.compile(r"(?:^|(?<=[把将在，,\s]))(?P<frame>(?![把将在])[\u4e00-\u9fff]{1,4}?)(?<![里上中边面头的])"
                              r"(?=最(?:顶上|顶端|上面|上边|上方|下面|下边|下方|底下|底部|左边|右边|左侧|右侧)"
                              r"(?:的|那|这|一))")


def _frame_of_extreme(said: str) -> bool:
    """Whether what is said before '最上面' is one thing's name ('货架', '书架'), not a verb or a word of joining
    ('去掉最右边那个', '跟最下面那个')."""
    found = words(said)
    return len(found) == 1 and len(said) >= 2 and found[0][1].startswith("n") and said not in REQUEST_VERBS \
        and not REMOVE.search(said) and _names_an_object(said)


def _names_an_object(word: str) -> bool:
    """Whether our vocabulary or the dictionary reads `word` as an object ('打火机': lighter)."""
    found = translate_word(word, "n")
    return found is not None and found[0] == "noun"


SENSE_GUESS = "a dictionary sense chosen among several: "
UNCONFIRMED_SENSE = "a dictionary sense neither our vocabulary nor SAM3's phrases confirm: "
SCENE_SENSE = "a word whose everyday object depends on the scene: "
DICTIONARY_GUESSES = (SENSE_GUESS, UNCONFIRMED_SENSE, SCENE_SENSE)
# words of ours that name two everyday objects, which one the scene decides (a 模特 in a shop window is a mannequin,
# on a catwalk a model; a garden's 铲子 is a shovel, a kitchen's a spatula): the reading takes the first, unsure
SCENE_DEPENDENT = {"模特": ("model", "mannequin"), "铲子": ("shovel", "spatula"), "水壶": ("kettle", "water bottle"),
                   "垫子": ("cushion", "mat"), "吊灯": ("pendant light", "chandelier")}


def _sense_guesses(pieces: list[tuple[str, str]]) -> list[str]:
    """Words whose reading came from CC-CEDICT and which it reads as several objects ('救生圈': life buoy, flab,
    spare tire), or as one object no phrase of SAM3's names: the sense taken is a guess our vocabulary did not
    confirm."""
    from segchat.parser.zh_lexicon import cedict_senses

    notes = []
    for word, tag in pieces:
        if word in SCENE_DEPENDENT:
            notes.append(f"{SCENE_SENSE}{word} ({', '.join(SCENE_DEPENDENT[word])})")
        if tag == "eng" or word in ZH_NOUNS or word in ZH_MODIFIERS:
            continue
        if colour_before_noun(word) and (word, tag) != pieces[-1]:
            continue  # 橘猫: the colour, read so by translate_words
        if colour_and_our_noun(word, cedict_object(word)):
            continue  # 红辣椒: a colour and our noun
        heads = {sense.split()[-1] for sense in cedict_senses(word) if not sense.startswith("to ")}
        # 'spoon' and 'tablespoon' (汤匙) are one kind of object: a head that is a word put before another is that
        # one ('sphygmomanometer' is no kind of 'meter': 'sphygmomano' is no word)
        heads = {head for head in heads if not any(_compound_of(head, other) for other in heads)}
        if len(heads) >= 2:
            notes.append(f"{SENSE_GUESS}{word} ({', '.join(sorted(heads))})")
            continue
        found = translate_word(word, tag)
        # '滑雪' (skiing) in 滑雪的人 names the one who does it, a skier: an activity, not an object's sense
        if found and found[0] == "noun" and not _confirmed_object(found[1]) and not agent_noun(found[1]):
            notes.append(f"{UNCONFIRMED_SENSE}{word} ({found[1]})")
    return notes


def _confirmed_object(english: str) -> bool:
    """Whether a dictionary's one object sense is a phrase SAM3 was evaluated on ('tower crane' for 塔吊 is not, nor
    'pig iron' for 铸铁, 'dummy' for 假人): CC-CEDICT's first object sense is often a word for the thing outside
    pictures (a metal, a trade term), so a sense no phrase of SAM3's confirms is a guess."""
    singular = singular_phrase(english)
    return singular in saco_phrases() or english in saco_phrases() or saco_ending(" ".join(singular.split()[-2:]))


# ------------------------------------------------------------------------------------------------ chunks
CONCEPT_NAME = re.compile(r"^[\s]*(?P<name>[\u4e00-\u9fff]{1,8}(?:[A-Za-z]|\d{1,3}|[甲乙丙丁]))[\s]*$")


def read_chunk(chunk: str) -> Reading | None:
    reading = Reading()
    bare = "".join(w for w, _ in words(chunk) if w not in FRAME and w not in REQUEST_VERBS)
    named = CONCEPT_NAME.match(bare)
    if named and not re.search(r"\d", named.group("name")[:-1]) and translate_word(named.group("name")) is None \
            and (named.group("name")[-1].isascii() or translate_word(named.group("name")[:-1]) is not None):
        # '找零件A', '标出样品甲': a name given with 'remember' ('把2号记为零件A'); the agent matches it as said
        return Reading(phrase=named.group("name").lower(), unsure=["a concept name, kept as said"])
    text, excluded_raw = take_exclusion(chunk)
    text, relation = take_relation(text, notes=reading.unsure)
    selection, text, notes = take_selection(text)
    reading.unsure.extend(notes)
    having = HAVING_STATE.search(text) or RESULT_STATE.search(text) or PASSIVE_STATE.search(text) \
        or PROGRESSIVE_STATE.search(text)
    state = None
    if having:
        state = state_word(having.group("x"))
        if state or having.re is not HAVING_STATE:
            text = text[:having.start()] + " " + text[having.end():]
        if not state and having.re is not HAVING_STATE:
            reading.unsure.append(f"a state no dictionary reads as an attribute was left out: {having.group('x')}")
    phrase, known, notes = noun_phrase(text)
    reading.unsure.extend(notes)
    if not known:
        # a name or term no dictionary has, guessed from its pieces, is not sent to SAM3; our own modifiers before it
        # ('黄色的雨鞋': yellow) are no part of the guess
        guessed = [word for word in phrase.split() if word not in ZH_MODIFIER_WORDS]
        # three or more words are a guess only when each is a noun ('soy sauce bottle' of 酱油 + 瓶), never when
        # a dictionary's phrase of other words came in ('close to carat watermelon')
        if len(guessed) >= 3 and not all(is_noun(word) and word not in CLOSED_CLASS for word in guessed):
            return None
        reading.unsure.append("a word no dictionary knows was read from its pieces")
    if state and phrase:
        phrase = f"{state} {phrase}"
    # '破了的牛仔裤': cloth that 破 is torn, not broken
    phrase = DENTED_SHELL.sub("dented ", TORN_CLOTH.sub("torn ", phrase))
    if not phrase and selection.kind == "all" and selection.count is None and selection.ordinal is None:
        return None
    reading.phrase = phrase
    reading.selection = selection
    reading.relation = relation
    excluded = [(fragment, _exclusion_phrase(fragment, joiner, phrase)) for fragment, joiner in excluded_raw]
    reading.exclude = [e for _, e in excluded if e]
    if _last_word(phrase) in RIDERS:
        # '没戴安全帽的骑士': a rider's 安全帽 is a helmet, a builder's a hard hat
        reading.exclude = [e.replace("hard hat", "helmet") for e in reading.exclude]
        if relation and relation[1] == "hard hat":
            reading.relation = (relation[0], "helmet")
    # '停着的不算' read as nothing: the request excluded something the reading did not
    reading.unsure.extend(f"an exclusion read as nothing: {fragment}" for fragment, e in excluded
                          if not e and _says_something(fragment))
    for fragment, _ in excluded_raw:
        if re.match(r"\s*(?:没有?|不是|未)", fragment):
            # '没有戴帽子的不要': a denial inside what is not wanted (keep the ones with hats), said twice over
            reading.unsure.append(f"a denial inside what is excluded: {fragment.strip()}")
        for word, tag in words(fragment):
            found = translate_word(word, tag) if len(word) > 1 and word.endswith("的") else None
            if found and any(re.search(rf"\b{re.escape(found[1])}\b", e) for e in reading.exclude):
                # '带瓶标的': jieba read the particle into a word (标的, 'target'): the split is a guess
                reading.unsure.append(f"the particle 的 read as part of a word in an exclusion: {word}")
        # '带鼻标的不要': an excluded word no dictionary has is as much a guess from its pieces as the object's own
        excluded_noun, excluded_known, excluded_notes = noun_phrase(
            re.sub(r"^\s*(?:有|没有?|不)?(?:带|穿|戴|披|系|拿|抱)?着?", "", fragment))
        if not excluded_noun or not any(re.search(rf"\b{re.escape(excluded_noun)}\b", e) for e in reading.exclude):
            continue  # the fragment was read another way ('穿白大褂的': wearing a white coat; '没开花的': a state)
        # '不要霓虹灯的': a sense guessed for the excluded word is as much a guess as one for the object's own
        reading.unsure.extend(note for note in excluded_notes if note.startswith(DICTIONARY_GUESSES))
        if not excluded_known:
            reading.unsure.append("a word no dictionary knows was read from its pieces (in an exclusion)")
    return reading


def _says_something(fragment: str) -> bool:
    """Whether a fragment holds a word other than the frame's and the request's ('的 保留' holds none)."""
    return any(re.search(r"[\u4e00-\u9fffA-Za-z]", w) and w not in FRAME and w not in REQUEST_VERBS
               for w, _ in words(fragment))


SEATS = frozenset("chair armchair sofa couch seat bench stool recliner".split())
RIDERS = frozenset("rider cyclist bicyclist motorcyclist biker courier".split())


def _last_word(phrase: str) -> str:
    """The head of an English phrase: its last word ('' for none)."""
    return phrase.split()[-1] if phrase else ""


def _exclusion_phrase(fragment: str, joiner: str | None, head: str) -> str:
    fragment = _strip_demonstratives(fragment)
    posture = re.fullmatch(rf"{POSTURE_DE.pattern}的", fragment.strip())
    if posture and head:
        return f"{POSTURE_STATES[posture.group(1)]} {head}"  # '亮着的不要': the lit ones
    worn = re.match(r"^\s*有?(?:穿|戴|披|系)(?!着)", fragment)  # '有戴安全帽的': Taiwan's 有 before the verb
    if head and worn:  # '穿白大褂的', '戴帽子的' (not the idiom 戴帽子, 'branded'): the head wearing it
        garment, _, _ = noun_phrase(re.sub(r"的.*$", "", fragment[worn.end():]))  # '戴帽子的人': the hat
        if garment:
            return f"{head} wearing {garment}"
    having = re.fullmatch(r"(?:有|带)着?(?P<x>[\u4e00-\u9fff]{1,4}?)的?", fragment.strip())
    if joiner is None and having:
        state = state_word(having.group("x"))
        if state and head:
            return f"{state} {head}"
    if joiner is None:
        rest, relation = take_relation(fragment if fragment.endswith("的") else fragment + "的")
        if relation is None:
            rest, relation = take_relation(fragment)
        if relation and relation[0] in ("wearing", "holding"):
            noun, _, _ = noun_phrase(rest)
            return f"{noun or head} {relation[0]} {relation[1]}".strip()
    if joiner == "state":
        state = state_word(fragment)
        if state and head:
            return f"{state} {head}"
        noun, _, _ = noun_phrase(fragment)
        return f"{head} with {noun}" if noun and head else ""
    noun, _, _ = noun_phrase(fragment)
    if joiner and noun:
        return f"{head} {joiner} {noun}" if head else noun
    latin = re.fullmatch(r"\s*(?P<e>[A-Za-z][A-Za-z \-]*?)\s*的\s*", fragment)
    if latin and noun and head and _last_word(noun) != _last_word(head):
        return f"{noun} {head}"  # '不要 double decker 的': English words before 的 say which kind of the head
    if not noun:
        modifiers = modifiers_only(fragment)
        return f"{modifiers} {head}".strip() if modifiers and head else ""
    head_last = head.split()[-1] if head else ""
    # '白色的' -> 'white {head}'; '双层巴士' names its own object; '烂的' -> 'rotten {head}'
    fragment_words = noun.split()
    tokens = [translate_word(w, t) for w, t in words(re.sub(r"[的那这些个只]", " ", fragment))]
    # 'broken ones': 'ones' stands for the head; 'double-decker 的': a hyphened compound says what kind the head is
    has_noun = any(t and t[0] == "noun" for t in tokens) or any(
        is_noun(w) and "ADJ" not in lemmas(w) and w not in ("one", "ones")
        for w in re.findall(r"[a-z]+(?:-[a-z]+)*", fragment.lower()) if "-" not in w)
    if head and (not has_noun) and fragment_words[-1] != head_last:
        return f"{noun} {head}"
    fragment_tokens = words(re.sub(r"[的\s]+$", "", fragment))
    if head and len(fragment_tokens) == 1 and fragment.rstrip().endswith("的") and fragment_words[-1] != head_last:
        return f"{noun} {head}"  # '巧克力的': a noun alone before 的 says what the head is of ('the chocolate ones')
    if head and has_noun and fragment.rstrip().endswith("的") and fragment_words[-1] != head_last:
        # '红色手柄的除外': a part the head has, not another object; a seat's 扶手 is its armrest, a stair's a rail
        noun = "armrest" if noun == "handrail" and head_last in SEATS else noun
        return f"{head} with {noun}"
    return noun


# '这幅简笔画里的', '这张海报上的', '这个截图中的': the picture (a drawing, a poster, a screenshot) the request is about,
# named with 这 and its measure word; where to look, not an anchor
_PICTURE_NOUN = r"(?:[\u4e00-\u9fff]{0,4}[画图]|照片|相片|图片|海报|画面|图像|截屏|素描|扫描件|相)"
# '这页漫画的对话框': a page or a sheet of a picture, whose (的) things are in it, names the picture too
PICTURE_NAMED = re.compile(rf"[这此]一?[张幅副个页]?{_PICTURE_NOUN}(?:里面|里边|里头|里|中|上面|上|内)的|"
                           rf"[这此]一?[张幅页]{_PICTURE_NOUN}的")


# a place in the picture itself, where a verb of place puts something ('站在正中间的', '坐在最左边的'): no anchor
PLACE_ONLY = re.compile(r"[最正]?(?:左|右|左上|左下|右上|右下)(?:边|侧|面|角|上角|下角)?|[最正]?(?:中间|中央|中)|"
                        r"[最正]?(?:上|下)(?:面|方|边)|最?(?:顶上|顶部|底下|底部)|[最正]?前(?:面|排)|[最正]?后(?:面|排)")


def take_relation(text: str, object_required: bool = True,
                  notes: list[str] | None = None) -> tuple[str, tuple[str, str] | None]:
    """(text without the relation, (kind, English anchor)) for the first relation whose anchor reads as a noun and,
    with `object_required`, leaves an object to relate; (text, None) when none does. An anchor of ours that names
    two objects ('拿着铲子的': shovel or spatula) or read from its pieces goes to `notes`, as the object's own would."""
    text = PICTURE_NAMED.sub(" ", text)
    for kind, pattern in ZH_RELATIONS:
        for match in re.finditer(pattern, text):
            # '帮我把门左边…': the 把-frame before the anchor is no part of it (jieba would read 把门, 'guard a door')
            anchor_zh = re.sub(r"^\s*(?:(?:请|麻烦你?|我想|我要|想)?(?:帮我|给我|帮忙)?(?:把|将))?\s*[最正]?", "",
                               match.group("a"))
            if PLACE_ONLY.fullmatch(anchor_zh.strip()):
                continue  # '站在正中间的学生', '坐在最左边的女孩': where in the picture, which the selection reads
            if re.search(r"最靠?\s*$", anchor_zh):
                continue  # '那堆箱子最底下的一个': the lowest of the boxes, a selection, not a place below them
            if re.search(r"(?:左|右)(?:边|侧|面)?$|(?:上|下)(?:面|方|边)$", anchor_zh.strip()):
                continue  # '站在门左边的人': the side of the anchor, which a pattern of that side reads
            anchor, anchor_known, anchor_notes = noun_phrase(anchor_zh)
            if not anchor and re.fullmatch(r"\s*[A-Za-z][A-Za-z \-]*", anchor_zh):
                # '把 box 里的 toys': an English word before a place word is the place, even a word of request
                from segchat.parser.english import noun_phrase as english_noun_phrase

                anchor = english_noun_phrase(anchor_zh.strip().lower())[0] or anchor_zh.strip().lower()
            if not anchor:
                continue
            rest = text[:match.start()] + " " + text[match.end():]
            if object_required and not noun_phrase(rest)[0]:
                continue
            if notes is not None:
                # a place's near-synonyms (院子: yard, garden, patio) change little: only our words of two objects
                notes.extend(note for note in anchor_notes if note.startswith(SCENE_SENSE))
                if not anchor_known:  # '穿红色球衣的': 球衣 read as ball + clothes
                    notes.append("a word no dictionary knows was read from its pieces (in a relation's anchor)")
            return rest, (kind, anchor[:80])
    return text, None


@dataclass
class ChineseParse:
    readings: list[Reading]
    followup: str


# '，我要拿去做训练数据', '我们在统计杯子数量，': who asks and what for, in a clause of its own: a pronoun, maybe 在 / 要,
# then a verb that is no request ('我要所有的杯子' and '我想抠出猫' are requests and stay)
CONTEXT_SUBJECT = re.compile(r"^(?:我们|咱们|我这边|我这里|我)(?P<aux>正在|现在在|现在|在|打算|准备|要|想|得|需要|会)?")
ACTIVITY_AUX = {"正在", "现在在", "在", "打算", "准备"}  # 'we are (doing)': what the user is busy with
PURPOSE_START = re.compile(r"^(?:用来|用于|拿来|拿去|好用来|以便|为了)")


# '在菜市场随手拍的，…', '这是昨天在公园拍的': where or when the picture was taken, nothing to find
PHOTO_TAKEN = re.compile(r"^(?:这是|这张是|这张)?[^，,]{0,14}?(?:随手|顺手|刚刚?|昨天|今天)?(?:拍|照|摄)的(?:照片|图片?)?$")


def is_context_clause(clause: str) -> bool:
    """A clause that says who asks or what the masks are for, with nothing to find in it ('我们在统计杯子数量',
    '我要拿去做训练数据'); '我要所有的杯子', '我在找红色的杯子' and '我想抠出猫' are requests."""
    clause = clause.strip()
    if PURPOSE_START.match(clause) or PHOTO_TAKEN.match(clause):
        return True
    subject = CONTEXT_SUBJECT.match(clause)
    if not subject or not clause[subject.end():]:
        return False
    rest = words(clause[subject.end():])
    if any(word in REQUEST_VERBS or (tag.startswith("v") and word[0] in REQUEST_CHARS) for word, tag in rest):
        return False
    if subject.group("aux") in ACTIVITY_AUX:
        return True
    first_word, tag = rest[0]
    return tag.startswith("v") and first_word not in FRAME and first_word[0] != "要"


# '球场这张，标出5个篮球', '仓库这张图，…': the picture named by what it shows, before the request; the scene is
# what the user looks at, not what to find (a demonstrative 这 + 张/幅 and maybe the word for a picture end the clause)
SCENE_CLAUSE = re.compile(r"^[\u4e00-\u9fffA-Za-z ]{1,12}?(?:的)?这一?[张幅](?:图|图片|照片|相片|截图|照|画面)?(?:里|中|上)?$")


# '工地照片，…', '无人机航拍图，…', '电商主图，…', '监控画面：…': a clause with no request in it that ends in a word for the
# picture or its source names where to look, never what to find
SOURCE_CLAUSE = re.compile(r"^[\u4e00-\u9fffA-Za-z0-9 _\-]{0,14}?(?:照片|相片|图片|截图|截屏|航拍图?|航拍照片?|画面|"
                           r"监控(?:画面|截图|录像|视频)?|主图|详情图|原图|大图|录像|视频|[图照])$")


def names_the_picture(clause: str, rest: str) -> bool:
    """A first clause that names the picture by its scene or its source, followed by a request that names its own
    object."""
    clause = clause.strip()
    if SCENE_CLAUSE.match(clause):
        return bool(noun_phrase(rest)[0])
    if not SOURCE_CLAUSE.match(clause) or re.match(r"^(?:请|麻烦|帮|给|把|将|我|你)", clause):
        return False
    if any(word in REQUEST_VERBS or (tag.startswith("v") and word[0] in REQUEST_CHARS) for word, tag in words(clause)):
        return False
    return bool(noun_phrase(rest)[0])


# '药盒一共有八个，帮我选出其中五个', '图里有十只鸡，标出其中四只': how many there are, said as context, then how many of
# them (其中 / 里面的) are wanted; the noun of the first clause is what the second one counts
_THERE_ARE = rf"(?:一共|总共|共|大概|大约|差不多|至少)?(?:有|是){ZH_NUMBER}{CL}"
EXISTING_COUNT = re.compile(rf"^(?:[\u4e00-\u9fff]{{0,6}}?{_THERE_ARE}(?P<after>[\u4e00-\u9fff]{{1,8}}?)|"
                            rf"(?P<before>[\u4e00-\u9fff]{{1,8}}?)(?:这里|这儿|图里|图中|画面里|里面|里)?{_THERE_ARE})"
                            r"(?:吧|左右|呢|啊)?[，,。；;]\s*(?P<rest>.*?)(?:其中|里面的|当中的?|中的)(?P<n>"
                            rf"{ZH_NUMBER}{CL})(?P<tail>.*)$")


def counted_as_context(text: str) -> str:
    """'药盒一共有八个，帮我选出其中五个' -> '帮我选出五个药盒': the count that says how many there are goes, the noun
    goes to the count that says how many are wanted."""
    match = EXISTING_COUNT.match(text)
    if not match:
        return text
    noun = (match.group("before") or match.group("after") or "").strip()
    if not noun or not noun_phrase(noun)[0]:
        return text
    return f"{match.group('rest')}{match.group('n')}{noun}{match.group('tail')}"


# '姐妹们帮我…', '孩子 帮奶奶把…', '宝宝，…': who the user speaks to, before the request; never an object
VOCATIVE = re.compile(r"^\s*(?:[\u4e00-\u9fff]{1,3}们|姐妹|宝宝|宝子|宝|亲爱的|亲|老师|师傅|大家|孩子|兄弟|老铁|哥们|小哥|"
                      r"小姐姐|美女|帅哥|老公|老婆|老妈|老爸|妈|爸|亲们|家人们|朋友)[\s，,！!~～]*"
                      r"(?=帮|请|麻烦|把|将|给我|能不能|能|可以|可不可以|你)")
# '帮奶奶把…', '帮妈妈找…': the one the request is done for; the request is the user's own ('帮我把…')
BENEFICIARY = re.compile(r"帮(?!我|忙|手)(?P<who>[\u4e00-\u9fff]{1,3}?)(?=把|将|找|抠|扣|选|标|圈|框|挑|分割)")
# '不说了', '言归正传': a filler that closes a story before the request
FILLER_CLAUSE = re.compile(r"^(?:不说了|不多说了|不扯了|废话不多说了?|言归正传|话说回来|总之|反正|好了|算了|说正事)$")
# the cues that keep a clause with the request: a modifier, an exclusion, a count or a place ('红色的车，蓝色的车，都标出来')
_KEPT_CLAUSE_CUES = re.compile(r"的|不|(?<!特)别|除|去掉|排除|只|最|第|其中|[都全]|[\d一两二三四五六七八九十几][个只条辆张块]|几|左|右|上面|下面|中间|旁边|"
                               r"[这那]|还有|、")
# the request's frame or verb in a clause ('帮我…', '把…抠出来', '圈出…')
REQUEST_ZH_PATTERN = re.compile(r"帮我|麻烦你?|^请|抠|扣出|分割|选中|选出|选上|标上|框上|圈上|标出|标记|标注|找出|找到|圈出|框出|高亮|提取|定位|挑出")
# an emoji, or a run of ellipsis or exclamation, parts clauses as a comma does
CLAUSE_BREAK = re.compile(r"[…！!~～.]{2,}|[…！!~～]+|[\U0001F300-\U0001FAFF\u2600-\u27BF]+")


def _has_request(clause: str) -> bool:
    return bool(REQUEST_ZH_PATTERN.search(clause)) or any(
        word in REQUEST_VERBS or (tag.startswith("v") and word[0] in REQUEST_CHARS) for word, tag in words(clause))


def is_narrative_clause(clause: str) -> bool:
    """A clause of a story told around the request ('今天跟老张出海钓了一整天', '回来路上还堵车', '老师批作业呢',
    '我要发朋友圈嘚瑟一下'): a predicate of its own that asks for nothing, with no modifier, count or place to keep."""
    clause = clause.strip(" ，,。；;")
    if not clause or FILLER_CLAUSE.match(clause):
        return bool(clause)
    if _has_request(clause) or re.match(r"(?:然后|再|并且?|接着|同时|顺便|之后|最后)", clause):
        # '…，然后弄成紫色': a further step asked of us, never a story
        return False
    if re.search(r"(?:绝绝子|yyds|YYDS|太可爱了|好可爱|可爱死了|真可爱|绝了|爱了|笑死|哈哈+)$", clause):
        return True  # a cry of delight ('今天的小可爱们绝绝子')
    if _KEPT_CLAUSE_CUES.search(clause):
        return False
    if clause.endswith("呢"):
        return True  # what someone is doing ('老师批作业呢')
    if re.search(r"(?:特别|很|太|好|超|真|非常|挺|超级)[\u4e00-\u9fff]{1,2}(?:了|啊|呀|死了)?$", clause):
        return True  # a predicate of degree ('风特别大', '累死了')
    return any(tag.startswith("v") and word not in FRAME and word not in ("要", "想", "需要", "是", "有")
               for word, tag in words(clause))


# '帮我选中间那个南瓜 嗯 就是中间那个': a filler, then the request said again in part; what it says was said already
RESTATED = re.compile(r"^(?P<head>.+?)[，,\s]*(?:嗯+|呃+|额+|对+|啊|哦|唔)?[，,\s]*(?:就是|对就是|我是说|我说的是|我的意思是)"
                      r"(?P<x>[^，,]{1,12}?)[吧啊呀哈啦]*$")


def drop_restatement(text: str) -> str:
    match = RESTATED.match(text.strip())
    if not match:
        return text
    said = re.sub(r"[的那这个只条]", "", match.group("x"))
    return match.group("head") if said and all(ch in match.group("head") for ch in said) else text


# the object of a request said by a pronoun ('帮我把它抠出来'), which a story clause before it names
OBJECT_PRONOUN = re.compile(r"(?<=[把将])(?:它们|他们|她们|它|他|她)|(?:它们|它)(?=都|也|全|给我|[抠圈标框选找分弄搞画提挑拿])")


def subject_of(clause: str) -> str | None:
    """The noun a story clause is about ('我家猫很胖' -> 猫, '我的狗狗太可爱了' -> 狗狗, '这只鸟好漂亮' -> 鸟): the nouns
    after its possessive or demonstrative, up to its predicate."""
    subject: list[str] = []
    for word, tag in words(clause.strip()):
        if tag.startswith(("n", "zg")) and word not in FRAME:
            subject.append(word)
        elif subject or not (tag.startswith(("r", "u", "m", "q")) or word in ("只", "个", "条", "头", "匹", "家")):
            break
    noun = "".join(subject)
    return noun if noun and noun_phrase(noun)[0] else None


def pronoun_resolved(clauses: list[str]) -> str | None:
    """'我家猫很胖，帮我把它抠出来' -> '帮我把猫抠出来': a request whose object is a pronoun, after one story clause whose
    subject is a noun; None when the text is not of that form (several stories, no subject: nothing is guessed)."""
    requests = [i for i, c in enumerate(clauses) if _has_request(c)]
    if len(requests) != 1 or requests[0] != len(clauses) - 1 or len(clauses) != 2:
        return None
    story, request = clauses
    if not OBJECT_PRONOUN.search(request) or not is_narrative_clause(story):
        return None
    noun = subject_of(story)
    return OBJECT_PRONOUN.sub(noun, request, count=1) if noun else None


def drop_narrative(text: str) -> str:
    """With one clause that carries the request, the story told around it goes ('今天…钓了一整天，…不说了，帮我把最大的
    那条鱼抠出来，我要发朋友圈')."""
    text = drop_restatement(VOCATIVE.sub("", text, count=1))
    text = BENEFICIARY.sub("帮我", text)
    clauses = [c for c in re.split(r"[，,。；;：:]|" + CLAUSE_BREAK.pattern, text) if c.strip()]
    if len(clauses) >= 2 and not any(_has_request(c) and noun_phrase(c)[0] for c in clauses):
        return pronoun_resolved(clauses) or text
    if len(clauses) < 2 or not any(_has_request(c) and noun_phrase(c)[0] for c in clauses):
        return text  # '小猫在睡觉，小狗在跑，都圈出来': the clauses before name what the request points at
    kept = [c for c in clauses if not is_narrative_clause(c)]
    return "，".join(c.strip() for c in kept) if kept and len(kept) < len(clauses) else text


def drop_context_clauses(text: str) -> str:
    """The request without the clauses that only say who asks and why, or which picture it is about; a text of one
    clause stays as it is."""
    text = drop_narrative(counted_as_context(text))
    clauses = re.split(r"(?<=[，,。；;：:])", text)
    if len(clauses) < 2:
        return text
    if names_the_picture(clauses[0].rstrip("，,。；;：: "), "".join(clauses[1:])):
        clauses = clauses[1:]
    kept = [c for c in clauses if not is_context_clause(c.rstrip("，,。；; "))]
    return "".join(kept).strip("，,。；; ") if kept else text


def parse_chinese(text: str) -> tuple[list[Reading], str]:
    """(readings, follow-up kind) for a Chinese (or Chinese-led mixed) instruction."""
    # '任务：…', '指令：…': how another program labels its request; '西兰花实例': an instance of the noun
    text = re.sub(r"^\s*(?:任务|指令|要求|请求|需求|输入)\s*[：:]", " ", text)
    text = re.sub(r"(?<=[\u4e00-\u9fffA-Za-z])(?:的)?(?:所有|全部)?(?:实例|个体)(?=$|[，,。；;\s]|都|全)", " ", text)
    text = re.sub(r"[。！？!?：:“”\"'「」『』《》()（）\[\]]", " ", text).strip()
    # '以点的形式', '以JSON格式输出其坐标', '并以json格式输出': how to answer, not what to find
    text = re.sub(r"[，,]?\s*(?:并|然后)?(?:以|用)[^，,]{0,12}?(?:形式|格式)(?:(?:输出|给出|返回)[^，,]*)?", " ", text)
    text = re.sub(r"[，,]\s*(?:并|然后)?(?:输出|给出|返回)[^，,]*(?:坐标|检测框|bbox|json|JSON|结果)[^，,]*", " ", text)
    text = container_measure_words(english_counts(text))
    # '…都 mask 出来，except 巧克力的': an English word of exception before a Chinese fragment is 除了
    text = re.sub(r"(?i)(?<![A-Za-z])(?:except(?: for)?|excluding|but not|apart from|other than|besides)\s*"
                  r"(?=(?:the\s+)?[\u4e00-\u9fff])(?:the\s+)?", "除了", text)
    # '狗都抠出来 去掉戴项圈的': a space where a comma would be, after a finished request or before an exclusion
    text = re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=(?:但是?|不过|可是)?(?:去掉|不要|别|除了|排除|忽略|跳过|不包括|不用|只要|只保留))|"
                  r"(?:(?<=出来)|(?<=出去)|(?<=一下)|(?<=起来)|(?<=[出掉吧]))\s+(?=[\u4e00-\u9fff])", "，", text)
    # 'random 选 3 个 cupcake 就行': the spaces at the seams of the two scripts part nothing in Chinese (a count and its
    # measure word, a noun and its particle); spaces between English words stay
    text = re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\dA-Za-z])|(?<=[\dA-Za-z])\s+(?=[\u4e00-\u9fff])", "", text)
    # '把 bottom 那个去掉': an English position word standing for the one there, in a Chinese sentence
    text = re.sub(r"(?i)(?<![A-Za-z])(leftmost|rightmost|topmost|bottommost|left|right|top|bottom|middle|center|"
                  r"biggest|largest|smallest|tallest|shortest|highest|lowest)"
                  r"(?![A-Za-z])(?=\s*(?:那|这|的|边)|$)", lambda m: ZH_POSITION_OF[m.group(1).lower()], text)
    # '在刚才的结果里只要…': where to look is the last answer, which the follow-up kind already says
    text = re.sub(r"^(?:在|从)?(?:刚才|之前|上一轮|上次|前面)(?:的)?(?:结果|答案|那些|那几个)(?:里面|里边|里头|当中|里|中)?[，,]?",
                  "", text)
    text = drop_degree_verbs(text)
    # '红色的勾圈出来', '那个勾框一下': 勾 after 的 or a measure word, before another request verb, is the tick drawn
    # ('那个勾出来' keeps its verb 勾出来)
    text = re.sub(r"(?<=[的个])勾(?=[圈框标选抠找挑描]|\s*$)", "对勾", text)
    # '最高处的鸟窝': the highest place is the top (jieba keeps 最高处 as one word)
    text = re.sub(r"最(高|低|上|下|左|右)(?:处|端)", lambda m: ZH_EXTREME_PLACE[m.group(1)], text)
    # '其他人', '别的车': jieba glues the word for 'other' to its noun; the noun is the object
    text = re.sub(r"(其他|其它|其余|剩下|剩余|别的)(?=[\u4e00-\u9fff])", r"\1 ", text)
    # '锅、铲子、勺子等物体', '血压计、药瓶、绷带这些东西': the list's tail names no object
    text = re.sub(r"等(?:等)?(?:物体|东西|物品|对象|物件)|等等?(?=[都全，,]|$)|(?:这些|那些|这几样|这几种)(?:物体|东西|物品|对象|物件)",
                  " ", text)
    # '地上的球': 地 alone is the adverb particle to the lexicon, here it is the ground ('草地上的' keeps its 草地)
    text = "".join("地面上" if word == "地上" else word for word, _ in words(text, keep_spaces=True))
    # '图里有多少只猫', '有几只鸭子': a count question names what to count; the question words are no part of it
    # ('院子里一共有多少只鸡': after a place word they stand where its 的 would, 'the chickens in the yard')
    text = re.sub(rf"(?P<place>[里上下中内边面])?(?:有|共有|一共有|总共有)?多少{CL}?|(?P<place2>[里上下中内边面])?"
                  rf"(?:有|共有|一共有|总共有)几{CL}",
                  lambda m: f"{m.group('place') or m.group('place2')}的" if m.group("place") or m.group("place2")
                  else " ", text)
    # '站在正中间的学生', '坐在最左边的女孩': a verb of place before a place in the picture says only where it is
    text = re.sub(rf"{PLACED}着?(?:在|于)(?=(?:{PLACE_ONLY.pattern})的)", "", text)
    # '挂钟下面的照片', '墙上那张照片': a photo after a 的 or a place is an object in the picture, unless the picture is what
    # holds the rest ('我发的照片里的猫')
    text = re.sub(r"(?:(?<=的)|(?<=[上里下边旁])(?=[那这]))((?:那|这)?[张幅]?)(?:照片|图片)(?![里中上内])", r"\1相片",
                  text)
    # '3个以上的苹果': a count and 'or more', read as the count (以上 stays unread, so the reading says it guessed)
    text = re.sub(rf"(?<=[\d一两二俩三四五六七八九十]{CL})以上", "", text)
    # '停车场里所有白色的SUV', '水族箱里所有的小丑鱼': the place, then 'all' of what is in it (the 的 of the place unsaid)
    text = re.sub(r"(?<=[\u4e00-\u9fff])(里面|里边|里|上面|上|中)(?=所有|全部|每个|每一个)", r"\1的", text)
    # '篮子里最上面的那个鸡蛋', '桌子上最左边的杯子': the place, then a superlative among what is there
    text = re.sub(r"(?<=[\u4e00-\u9fff])(?<![图画照片])(里面|里边|里|上面|上|中)(?=最)", r"\1的", text)
    # '泳池里没戴泳帽的人': the place, then what the ones meant are not wearing (the place's 的 unsaid again)
    text = re.sub(r"(?<=[\u4e00-\u9fff])(里面|里边|里|上面|上)(?=(?:没有?|不)(?:戴|穿|带|拿|系)着?[\u4e00-\u9fff]{1,6}的)",
                  r"\1的", text)
    # '把小的也去掉', '只要大的': the big or small ones with no noun are the biggest or smallest of the last answer
    text = BARE_SIZE.sub(lambda m: f"{'最大' if m.group('size') == '大' else '最小'}的那", text)
    followup, text = take_followup(text)
    clauses = [c for c in re.split(r"[；;]", text) if c.strip()]
    readings: list[Reading] = []
    for clause in clauses:
        parts = [p.strip() for p in re.split(r"[，,]", clause) if p.strip()]
        # '只保留中间那个，其余的去掉': the second half only restates the refine
        parts = [p for p in parts if not REST_CLAUSE.match(re.sub(r"\s", "", p))]
        has_exclusion = re.search(r"除了|除外|不要|不包括|不含|没有?戴|没有?穿|别选|别要|不算|不用|去掉|排除|忽略|跳过|不选|就算了|就免了|"
                                  r"别管|不管|[，,]\s*别", clause)
        several = _exclusion_after_several(parts) if has_exclusion and len(parts) == 2 else None
        if several is not None:
            readings.extend(several)
            continue
        if has_exclusion and len(parts) > 1:
            pieces = [" ，".join(parts)]
        elif has_exclusion:
            pieces = parts
        else:
            pieces = [p for part in parts for p in COORDINATOR.split(part) if p.strip()]
        joined_by_and = len(parts) == 1 and len(pieces) > 1
        for piece in pieces:
            kind = KIND_CLAUSE.match(piece.strip())
            meant = modifiers_only(kind.group("m")) if kind and readings and readings[-1].phrase else ""
            if meant:
                # '选中所有的 sticky notes，黄色的那种': the kind meant, said after the object
                readings[-1].phrase = f"{meant} {readings[-1].phrase}"
                continue
            if readings:
                piece = pronoun_anchor_named(piece, readings[-1].phrase)
            reading = read_chunk(piece.replace(" ，", "，"))
            if reading is not None:
                if joined_by_and and readings and readings[0].relation and readings[0].relation[0] in PLACE_RELATIONS \
                        and _bare_noun(piece, reading):
                    # a 的-relation before nouns joined by 和 applies to each ('餐桌上的刀和叉子'); a noun with words
                    # of its own ('和所有的椅子', '和地上的狗') is a target of its own
                    reading.relation = readings[0].relation
                readings.append(reading)
    return readings, followup


# where a thing is: said once before nouns joined by 和, it places each ('穿白大褂的医生和轮椅' dresses only the doctor)
PLACE_RELATIONS = frozenset({"on", "in", "below", "above", "near", "left_of", "right_of"})


TORN_CLOTH = re.compile(r"\bbroken (?=(?:[a-z\-]+ )*(?:jeans|pants|trousers|shirt|t-shirt|sock|dress|jacket|coat|"
                        r"sweater|skirt|shorts|glove|curtain|flag|tent|towel|sheet|jersey|hoodie|scarf|bag)\b)")
# '瘪了的易拉罐': a 瘪 can or box is dented; only what is blown up (a tyre, a ball) goes flat
DENTED_SHELL = re.compile(r"\bflat (?=(?:[a-z\-]+ )*(?:can|box|bottle|cup|carton|bucket|pot|pan|tin|kettle|pail|"
                          r"drum|barrel|car|helmet)\b)")


def _bare_noun(piece: str, reading: Reading) -> bool:
    """Whether a coordinated piece is its noun alone, with no 的, count, demonstrative or 'all' of its own."""
    return "的" not in piece and not re.search(r"[这那所有全部每\d一两二俩三四五六七八九十几]|[A-Za-z]", piece) \
        and reading.relation is None and reading.selection.kind == "all" and reading.selection.count is None \
        and not reading.exclude


COORDINATOR = re.compile(r"和|与|跟|以及|及|、|还有|&|[+＋]|(?<![A-Za-z])(?:and|or)(?![A-Za-z])|或者|或")


def _exclusion_after_several(parts: list[str]) -> list[Reading] | None:
    """'標出所有的梨和桃子，爛掉的桃子不要': several targets, then an exclusion in a clause of its own. It belongs to the
    target whose noun it names; naming none ('猫和狗都选出来，黑色的不要') it is applied to each, and the reading says
    so. None when the first clause names one target (the exclusion is read with it as before)."""
    first, exclusion = parts
    targets = [p for p in COORDINATOR.split(first) if p.strip()]
    if len(targets) < 2:
        return None
    nouns = [next((w for w, tag in reversed(words(t)) if tag.startswith("n") and w not in FRAME), "") for t in targets]
    owners = [i for i, noun in enumerate(nouns) if noun and noun in exclusion]
    readings = []
    for index, target in enumerate(targets):
        excluded = index in owners or not owners
        reading = read_chunk(f"{target}，{exclusion}" if excluded else target)
        if reading is None:
            return None
        if excluded and not owners:
            reading.unsure.append("an exclusion said once after several targets, applied to each")
        readings.append(reading)
    return readings


# '把小的也去掉', '只要大的', '大的也选上': 大的 / 小的 with no noun after it, only the verb of a follow-up
BARE_SIZE = re.compile(r"(?:(?<=^)|(?<=[要把将留选是掉除\s，,]))(?P<size>[大小])(?:一点|一些|些)?的"
                       r"(?=\s*(?:也|都|就|还)?\s*(?:不要|去掉|删掉|删除|移除|拿掉|选上|加上|算上|留下|保留|了|吧|就行|就好|$))")


# '键盘和它右边的音箱', '报刊亭和站在它右边的小孩': a pronoun before a place word (after a verb of place, maybe) points
# at the target named just before it; '耳机和旁边的手机':
# a word of nearness or of containment ('烤箱和里面的面包') with no anchor at all does too (a side or a height alone, '和左边的香蕉', is a position instead)
PRONOUN_ANCHOR = re.compile(r"^\s*(?:(?:(?:站|坐|躺|停|放|挂|趴|蹲)在)?(?:它们|他们|她们|它|他|她|牠|其)"
                            r"(?=的?(?:左边|左侧|左面|右边|右侧|右面|上方|上面|上边|下面|"
                            r"下方|下边|底下|旁边|附近|边上|身边|身旁|隔壁|周围|前面|后面|里面|里边))|(?=(?:旁边|附近|边上|隔壁|周围|"
                            r"里面|里边|里头)(?:的|[那这]一?[个只件把张台辆本支条块位]\s*)))")


def pronoun_anchor_named(piece: str, previous_phrase: str) -> str:
    """The piece with a pronoun anchor replaced by the phrase of the target named before it (in English, which
    the anchor's reading takes as a Latin run)."""
    return PRONOUN_ANCHOR.sub(f"{previous_phrase} ", piece, count=1) if previous_phrase else piece


def modifiers_only(fragment: str) -> str:
    """The attributes of a fragment with no noun ('白色的那几瓶' -> 'white', '烂的' -> 'rotten', '碎掉的' -> 'broken',
    '飞着的' -> 'flying': the complement 掉 and the aspect 着 carry no attribute of their own)."""
    # '停着的', '亮着的': how it is placed or what it is doing now (lit, not the bright of 亮 alone)
    out = [POSTURE_STATES[m.group(1)] for m in POSTURE_DE.finditer(fragment)]
    fragment = POSTURE_DE.sub(" ", fragment)
    done = done_verbs(fragment)  # '用过的': what was done to it, one verb
    for word, tag in words(re.sub(r"[的了那这些个只几]", " ", fragment)):
        done_state = completed_state(word[0]) if word[:1] in done and (len(word) == 1 or word[1] == "过") \
            and word not in ZH_MODIFIERS else None
        if done_state:
            out.append(done_state)
            continue
        if word == "过":
            continue
        if word in ("掉", "着", "但是", "但", "可是", "不过"):
            continue
        if len(word) > 1 and word[-1] in "掉着" and not translate_word(word, tag):
            word = word[:-1]
        found = translate_word(word, tag)
        if found and found[0] == "mod":
            out.append(found[1])
        elif not found and len(word) > 1:
            state = state_word(word)
            if state:
                out.append(state)
    return " ".join(dict.fromkeys(out))
