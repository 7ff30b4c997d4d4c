"""Is this a segmentation request at all? Greetings, off-task requests, injections, vague commands and reasoning
questions get a clarify answer in the user's language: the offline parser says it cannot read them instead of
guessing a phrase from their words."""

from __future__ import annotations

import difflib
import re
from enum import StrEnum

from segchat.parser.lexicon import ACKNOWLEDGEMENT_EN, is_adjective, is_noun, is_participle, lemmas


class Intent(StrEnum):
    """What the text asks of segchat, as far as the offline parser can tell."""

    REQUEST = "request"  # something to segment
    GREETING = "greeting"  # hello, thanks, praise: nothing to find
    OFF_TASK = "off_task"  # a task segchat does not do (edit the photo, tell a joke), or an injection
    VAGUE = "vague"  # 'do it', '弄一下': no object named
    QUESTION = "question"  # needs reasoning about the picture, which the offline parser cannot do
    COUNT_QUESTION = "count_question"  # 'how many dogs?', '图里有猫吗': segmenting what it names answers it (a guess)


# the intents the offline parser answers with a clarify question instead of a plan
CLARIFIED = frozenset({Intent.GREETING, Intent.OFF_TASK, Intent.VAGUE, Intent.QUESTION})

OFF_TASK_EN = re.compile(
    r"\b(weather|brighter|darker|brightness|contrast|resize|rotate|blur|sharpen|denoise|filter|install|download|"
    r"translate|write (a|me|some)|who are you|what are you|how are you|red[- ]eyes?|"
    # 'draw me a cartoon giraffe': a new picture to make, not one to segment ('draw a box around …' is a request)
    r"(?:draw|paint|sketch|generate|create|render) (?:me |us )?(?:a|an|some)\b(?! (?:box|circle|outline|line|border|"
    r"rectangle|bounding|mask|ring|square|frame|contour))|"
    # small talk about the day or the week: chat, nothing to find ('hey! how was your weekend?')
    r"how(?:'s| is| was| has)? (?:your|ur) (?:day|week|weekend|morning|afternoon|evening|night)\b|"
    r"how(?:'s| is) it going|how (?:have|are) (?:you|u) (?:been|doing)|what breed|what species|what time|"
    # 'does the doctor look tired to you?': how someone looks, which no mask says
    r"^(?:does|do|did|is|are|doesn'?t|don'?t)\b.*\blooks? (?:tired|happy|sad|angry|upset|sick|ill|healthy|bored|"
    r"old|young|nice|good|fine|okay|ok|cute|pretty|scared|worried|drunk)\b|"
    # 'any party ideas?', 'any tips': asking for advice, no mask answers it
    r"any (?:[a-z]+ )?(?:ideas|suggestions|tips|advice|recommendations)\b|"
    # 'just testing if this thing works': trying the tool, nothing to find
    r"just testing|testing (?:if|whether|to see)|(?:is|does) (?:this|it) (?:thing )?(?:work|working|on)\b|"
    r"tell me a joke|tell me about|(?:write|give|generate|add|suggest) (?:me )?(?:a |an |the )?caption|caption (?:this|it)|"
    r"describe|upscale|enhance|recolou?r|colou?rize|retouch|edit (this|the)|"
    r"crop (this|the) (photo|image|picture)|crop (this|it|the (photo|image|picture|pic)) (to|into|down to)|ignore (all |any |your |the |previous |prior )*(instructions|rules|prompt)|"
    r"system prompt|you are now|pretend (to be|you)|jailbreak|summari[sz]e|what do you think|convert (this|the|it)|"
    r"turn (this|the|it) (image|photo|picture)|black and white (filter|photo|image)|gr[ae]yscale|sepia|"
    r"(change|replace|swap) the (background|sky|colou?rs?)|how old|is it (pretty|nice|good)|"
    # the picture's own qualities, which editing changes and no mask holds
    r"(?:increase|raise|improve|boost|lower|reduce|fix|change|adjust|up) (?:the )?(?:image |photo |picture )?"
    r"(?:resolution|quality|saturation|exposure|sharpness|dpi)|(?:higher|better|lower) (?:resolution|res|quality))\b")
GREETING_EN = re.compile(r"^\s*(hi|hello|hey|yo|hiya|good (morning|evening|afternoon|night)|thanks|thank you|thx|"
                         r"bye|goodbye|cheers|how are you|what'?s up|morning|evening)\b[\s!.,]*(there|again|so much|a lot|"
                         r"everyone)?[\s!.,]*"
                         # 'morning! hope ur having a good day': a wish, nothing to find
                         r"(?:(?:i )?hope (?:you'?re|you are|your|ur|u r|u'?re) (?:having|doing|well)[a-z ]*[\s!.,]*)?"
                         # 'hi there, happy thanksgiving!': a holiday's wish
                         r"(?:(?:and )?(?:happy|merry) (?:thanksgiving|christmas|xmas|new year|holidays|easter|"
                         r"halloween|birthday|chinese new year|lunar new year|diwali|hanukkah|friday|weekend)"
                         r"[\s!.,]*)?$")
OFF_TASK_ZH = re.compile(r"(忽略(你的|之前的|所有|以上)?(指令|指示|规则)|系统提示|天气|你是谁|调亮|变亮|亮一点|暗一点|"
                         # '把天空调蓝一点': a colour or a tone made more so is an edit; '写个朋友圈文案': a caption
                         r"调(?:蓝|红|绿|黄|白|黑|暗|亮|深|浅|暖|冷)一?(?:点|些)|文案|写个|写段|"
                         # '把花调得更鲜艳一点': a quality of the picture turned up is an edit
                         r"调得?更?[\u4e00-\u9fff]{1,3}(?:一点|一些|点|些)|"
                         r"滤镜|旋转(?!木马|门|椅|楼梯|餐厅|寿司)|裁剪|安装|下载|翻译|讲个笑话|(?:什么|啥)品种|几点|描述一下|描述|写一|美颜|磨皮|调色|修图|"
                         r"总结|介绍一下|换成|改成|变成|转成|替换|"
                         # '把这张图调成黑白的': the picture itself made into something else (an edit)
                         r"(?:图|照片|图片|画面|相片)[^，,。]{0,6}?(?:调成|弄成|处理成|调为)|"
                         r"好看吗|漂亮吗|好不好看|多大了|几岁|多大年纪|年纪多大|多少岁|"
                         # '把车牌号念出来': the text in the picture read aloud, which no mask does
                         r"(?:念|读)(?:出来|一下|给我听)|"
                         # '图里这个人是谁啊？': who someone is, which no mask says; '这辆公交车是几路的': which route
                         r"是谁(?:啊|呀|呢|吗)?[？?]?\s*$|是几路|几路车|"
                         # chat and amounts the picture cannot be segmented into ('在吗', '有多少卡路里')
                         r"^在吗|心情|无聊|聊聊天|陪我聊|卡路里|热量|多少钱|什么价|价格|多重|"
                         # '给这条狗起个名字': naming a pet or a thing is no segmentation ('把2号记为零件A' remembers)
                         r"(?:起|取)(?:个|一个)?(?:名字|名)|"
                         r"多少(?:克|斤|公斤|千克|米|公里|度|年|天|小时|分钟|秒|升|瓦|岁)|"
                         # '这张图的 resolution 能调高一点吗': the picture's qualities, which editing changes
                         r"(?:分辨率|清晰度|画质|像素|亮度|对比度|饱和度|曝光|resolution|quality)[^，,。]{0,8}?"
                         r"(?:调|提|改|变|增|降|弄|修)(?:高|低|大|小|清楚|清晰|好|一下|一点)|"
                         r"(?:调高|调低|提高|降低|提升|改善)(?:一下|一点)?(?:图片|照片|图像|这张图)?的?"
                         r"(?:分辨率|清晰度|画质|像素|亮度|对比度|饱和度|曝光))", re.IGNORECASE)
# 'hey, nice lake isn't it?': praise of anything in the picture, asked with a tag question, is chat
# a greeting, then 'what a (very) …': how praise of the picture or of a thing in it starts
_PRAISE_LEAD = r"^(?:(?:hi|hey|hello|hiya|wow|oh)(?: there)?[\s!.,]+)?(?:what an? |such an? |a )?(?:very |really |so )?"
REMARK_WITH_TAG_EN = re.compile(_PRAISE_LEAD + r"(?:nice|great|cool|beautiful|lovely|pretty|gorgeous|stunning|cute|amazing) "
                                r"[a-z]+(?: [a-z]+)?,? (?:isn'?t it|aren'?t they|right|huh|eh)[\s!.?]*$")
COMPLIMENT_EN = re.compile(_PRAISE_LEAD + r"(?:nice|great|cool|beautiful|lovely|"
                           r"awesome|amazing|pretty|gorgeous|stunning|ugly|funny|cute) (?:picture|photo|image|pic|shot|"
                           r"photograph|one|day|view|morning|evening|weather)s?\b"
                           # 'lovely day at the farm', 'lovely shot of the harbour, isn't it': where, and a tag
                           r"(?: (?:at|of|in|on|by) (?:the |this |our |my )?[a-z]+(?: [a-z]+)?)?"
                           r"(?:,? (?:isn'?t it|right|huh|eh))?[\s!.?]*$")
# a greeting or goodbye with nothing else ('你好！', '晚安'); one before or after a request is courtesy
GREETING_ZH = re.compile(r"^(?:(?:你好|您好|大家好|哈喽|嗨|早上好|早安|中午好|下午好|晚上好|晚安|再见|拜拜|回头见)"
                         r"[啊呀哦啦吖~～]*)+$")
# thanks and praise with nothing to find ('thanks, that's great', '太好了，谢谢'): every word is acknowledgement
ACKNOWLEDGEMENT_ZH = re.compile(r"^(?:(?:谢谢(?:你|您)?|多谢|感谢|太好了|太棒了|很好|真好|真棒|不错|完美|好的|好吧|可以了?|棒|厉害|"
                                r"辛苦了?|对的?|没错|正确|"
                                # '谢谢你，今天先这样': that is all for now
                                r"(?:今天|那|那就|那今天)?(?:先|就)(?:这样|到这里?|到这儿)|没(?:有)?别的了)[啊呀哦啦了嘛的吧]?)+$")
VAGUE_ZH = re.compile(r"^(?:欸|诶|哎|唉|嗯|呃|额|喂)*(?:(?:那个|这个|这|那)(?:东西|玩意儿?)?)?(?:帮我|请|麻烦你?|你)?(把)?"
                      # '那个东西帮我处理一下': the thing, named by no noun, is no object either
                      r"(那个|这个|它|这|那)?(?:东西|玩意儿?)?"
                      # a question tag asks for agreement, not for anything more ('帮我处理一下好吗')
                      r"(弄|搞|处理|整)一?下(?:吧|啦|呗|哈|嘛|咯|呀|哦)*(?:好吗|好不好|好|行吗|行不行|行|可以吗|成吗)?(?:啊|呀)?$|^随便(搞|弄|处理|整)一?下(吧)?$|"
                      # '随便弄弄那边的东西': the verb said twice, a thing named by no noun
                      r"^随便(?:搞搞|弄弄|整整)(?:那边|这边|这里|那里)?的?(?:东西|玩意儿?)?(?:吧)?$|"
                      # '你看着办吧': do as you see fit, with no object named
                      r"^(?:那个|嗯|呃|额|那)*(?:你|您)?(?:就|自己)?看着(?:办|弄|处理|来)(?:一下)?(?:吧|呗|就行|就好)?"
                      # '看着办吧，你懂我意思': and you know what I mean, which names nothing either
                      r"(?:[，,\s]*(?:你懂(?:的|我(?:的)?意思)?|你明白(?:的|我(?:的)?意思)?)(?:吧|哈|嘛)?)?$")
# 'as usual', 'the same as always' with no object: what to do is in the user's head
# '处理一下那边的东西': something done to a thing no word names
VAGUE_THING_ZH = re.compile(r"^(?:帮我|请|麻烦你?)?(?:处理|弄|搞|整|看)一?下(?:那边|这边|这里|那里|那儿|这儿|这个|那个|这些|那些)?的?"
                            r"(?:东西|玩意儿?)(?:吧|啊|呀|呗)?$|"
                            # '那边那个东西帮我处理下': the thing first, then the vague verb
                            r"^(?:那边|这边|这里|那里)?(?:那个|这个|那些|这些)?(?:东西|玩意儿?)(?:帮我|请|麻烦你?)?"
                            r"(?:处理|弄|搞|整)一?下(?:吧|啊|呀|呗)?$")
VAGUE_AS_BEFORE_ZH = re.compile(r"^(?:帮我|请|麻烦你?)?(?:(?:处理|弄|搞|整)一?下)?[，,]?(?:按|照|还是)?(?:老样子|老规矩|照旧|惯例)"
                                r"(?:来|办|处理|弄)?(?:吧|啊|呀)?$|^(?:帮我|请)?(?:处理|弄|搞|整)一?下[，,]?(?:按|照)(?:老样子|老规矩|惯例)")
VAGUE_EN = re.compile(r"^(please )?(do (it|that|something|anything|this|stuff|your thing|your magic)|"
                      r"fix (it|this|that)|handle (it|this)|whatever|do your thing|go|ok|okay|yes|no|sure)"
                      r"( (with|to|on) (it|this|that|(?:the|this|that|my) (image|photo|picture|pic|shot)))?( please)?$")
QUESTION_EN = re.compile(r"^(?:(?:hey|ok|okay|so|and|but|now|please|tell me|i wonder|(?:can|could|would|will) (?:you|u)"
                         r"(?: please)? (?:tell|show) me|do you know|roughly|approximately|about|just)[, ]+)*"
                         r"(?P<w>what|which|where|who|whom|whose|why|how|when)\b(?P<rest>.*)$")
IF_QUESTION_EN = re.compile(r"^if\b.*\b(what|which|where|who|how)\b")
# 'Assuming you are a robot, what part would you manipulate ...': a wh-question inside the sentence
CLAUSE_QUESTION_EN = re.compile(r"(?:^|[,;:]\s*|\band then\s+|\bthen\s+)(?:answer\s+)?(?:what|which|where|who|why|how)\b[^,.;]*?"
                                r"\b(?:would|should|could|can|do|does|did|will|shall|is|are)\s+(?:i|you|we|one|they|there)\b")
YES_NO_EN = re.compile(r"^(is|are|was|were|does|do|did|has|have)\b.*\?\s*$")
QUESTION_ZH = re.compile(r"什么|哪个|哪些|哪里|哪儿|哪一|为什么|为何|怎么|怎样|如何|是否|是不是|多少|回答")
YES_NO_ZH = re.compile(r"吗|有没有|[？?]$")
# a yes/no question about what something is or can do ('这条鱼能吃吗', '这些苹果新鲜吗'), not whether it is there
# ('图里有猫吗'): no mask answers it
QUALITY_QUESTION_ZH = re.compile(r"吗[？?]?\s*$")
EXISTENCE_ZH = re.compile(r"有|还剩|在不在")
# 'can this fish be eaten?': the same asked in English, of the thing and not of segchat
ABILITY_QUESTION_EN = re.compile(r"^(?:can|could|should|would|will|may|might|must) (?:this|that|these|those|the|it|they)"
                                 r"\b[^?]*\bbe [a-z]+\b[^?]*\?\s*$")
# 'is the mould on this dish dangerous?', 'are the pears ripe?': a quality of something to judge, asked of the
# picture (a mask answers no such question); 'are there any dogs?' asks what to find
QUALITY_QUESTION_EN = re.compile(r"^(?:is|are|was|were)\s+(?!there\b)[a-z' -]+?\s+"
                                 r"(?:too\s+|very\s+|still\s+|safe\s+to\s+)?"
                                 r"(?P<quality>[a-z]+)\s*\?\s*$")


def asks_for_a_quality(lowered: str) -> bool:
    """Whether a yes/no question ends in an adjective that names no thing and no visible state ('dangerous', 'ripe';
    not 'broken', which a mask can show, nor 'black', a colour)."""
    match = QUALITY_QUESTION_EN.match(lowered)
    if not match:
        return False
    quality = match.group("quality")
    if quality in JUDGEMENTS:
        return True  # 'is the milk still good?': a judgement, though 'good' is also a noun (goods)
    return is_adjective(quality) and not is_noun(quality) and not is_participle(quality)


# adjectives of judgement that are nouns too: asked of a thing, they ask whether it is fit for something
JUDGEMENTS = frozenset({"good", "bad", "fine", "ok", "okay", "fresh", "safe", "edible", "real", "fake"})


# 'is that a fox or just an orange cat', '这是狐狸还是猫？': what something is, asked of the picture; a mask of either
# answer would be a guess at the question, not a request ('are there any dogs?' asks for what to find and stays)
IDENTITY_QUESTION_EN = re.compile(r"^(?:(?:hey|so|ok|okay|wait|hmm|um|and|but)[, ]+)*(?:is|are|was|were)\s+"
                                  r"(?:that|this|it|these|those|they|he|she)\b|"
                                  r"^(?:is|are|was|were)\s+(?!there\b)[a-z' -]+?\s+or\s+")
IDENTITY_QUESTION_ZH = re.compile(r"^(?:这|那|它)(?:个|只|些|一个|一只|几个)?(?:到底|究竟)?(?:是|算)(?:不是)?[^，,。；;]*"
                                  r"(?:还是|吗|呢|[？?])|(?:是|算)[^，,。；;]*还是")
COUNT_ZH = re.compile(r"(?<![那这])几[只个条把辆台根块张本瓶件头匹位棵朵片艘架]|多少[只个条把辆台根块张本瓶件头匹位棵朵片艘架]?")
# units of measure after 'how many': the answer is an amount the picture cannot be segmented into
MEASURE_QUESTION = re.compile(r"\s*many\s+(?:calories|kcal|kilocalories|grams|kilograms|kilos|kg|pounds|lbs|ounces|"
                              r"carbs|dollars|euros|bucks|yuan|cents|miles|kilometers|kilometres|km|meters|metres|feet|"
                              r"inches|liters|litres|gallons|years|months|weeks|days|hours|minutes|seconds|degrees|"
                              r"percent|watts|volts|calory|calorie)\b")
# words that only hedge ('idk just do something with this'): a request made of them and a vague verb is vague
HEDGES_EN = re.compile(r"\b(?:idk|i dunno|dunno|i don'?t know|just|um+|uh+|hmm+|like|maybe|whatever|kinda|somehow|"
                       r"idc|lol|ok|okay|so)\b[,.]?\s*")
# 'how many legs does a spider have', 'how many teeth do adults have': a count every such thing has, asked of no picture
GENERAL_COUNT = re.compile(r"""(?x)
    \s* many \s+ [a-z ]+? \s+ (?:does|do) \s+                                   # 'many teeth does'
    (?: a | an | the[ ]average | every | each | most | adults? | people | humans? | [a-z]+s ) \s+
    [a-z ]*? \b have \b                                                         # 'an adult have'
    (?! .* \b (?:here|this|these|that|those|picture|photo|image|pic) \b )       # of no picture
""")
# 'how does this thing work?', 'what can you do', 'how do I use this app': the user asks about the tool itself
ABOUT_THE_TOOL_EN = re.compile(r"""(?x)
    ^(?: (?:hi|hey|hello|ok|okay|so|um) (?:[ ]there)? [,!.\ ]+ )*
    (?: how [ ] (?:does|do) [ ] (?:this|it|the|you) (?: [ ] (?:thing|app|tool|bot|site|program) )? [ ] work
      | how [ ] (?:do|can|should) [ ] (?:i|we) [ ] use [ ] (?: this | it | you | the [ ] (?:app|tool|bot|site) )
      | what [ ] (?:can|do) [ ] you [ ] do
      | what [ ] (?:does|is) [ ] this [ ] (?:app|tool|bot|thing) (?: [ ]for | [ ]do )? )
    \b [^a-z]*$
""")
# thanks and goodbyes with what they thank for ('thanks for the help earlier! have a good one')
# 'hey! thanks for yesterday, you were a big help': thanks for help given before, nothing to find
THANKS_FOR_BEFORE_EN = re.compile(r"^(?:(?:hey|hi|hello|oh)[!,. ]+)?(?:thanks|thank you|thx|cheers)(?: so much| a lot)?"
                                  r"(?: for (?:yesterday|today|earlier|last time|everything|the help|your help|"
                                  r"all the help|all your help|before))?[!,. ]*"
                                  r"(?:you(?:'re| are| were|'ve been| have been) (?:a |such a )?"
                                  r"(?:(?:big |great |huge |real )?(?:help|lifesaver|star|the best)|"
                                  r"(?:really |so |very |super )?helpful)(?: today| again)?[!. ]*)?$")
FAREWELL_EN = re.compile(r"^(?:(?:hey|hi|ok|okay|well|anyway)(?: there)?[,!. ]+)?(?:thanks|thank you|thx|cheers|ty)"
                         r"(?: (?:so much|a lot|again))?(?: for (?:the|your|all the|all your) (?:help|work|time|effort|"
                         r"answers?|masks?)(?: (?:earlier|today|before|again))?)?[!., ]*(?:(?:that'?s|thats) (?:all|it|everything)"
                         r"(?: for (?:today|now|the day|tonight))?[!., ]*)?(?:(?:have a (?:good|great|nice) "
                         r"(?:one|day|night|evening|weekend)|see (?:you|ya)(?: later)?|bye|take care)[!., ]*)*"
                         # '… thanks a lot, that was super helpful!': praise of the help
                         r"(?:(?:that|this|it|you) (?:was|were|is|are|'s|'re)? ?(?:super |really |very |so |such a )?"
                         r"(?:helpful|great|perfect|awesome|amazing|useful|big help|lifesaver)[!., ]*)?$")
CHATTER_EN = re.compile(r"^\s*(?:lol|lmao|rofl|haha\w*|hehe\w*|omg|wow|whoa|aww+|ugh|meh|damn|dang)\b")
REQUEST_EN = re.compile(r"\b(?:segment|select|mask|highlight|outline|mark|find|cut|show|circle|isolate|pick|grab|"
                        r"detect|locate|extract|trace|box|crop|label|get|give|keep|remove|drop|add)\b")
REQUEST_ZH = re.compile(r"抠|扣出|分割|选中|选出|选上|标上|框上|圈上|标出|标记|标注|找出|找到|圈出|框出|高亮|提取|定位|挑出")


# '帮我把这张照片 upload 到 Google Drive 上', 'email this pic to my boss', '把图片打印出来': an action on the file or the
# picture itself, with no request to segment anything in it
FILE_ACTION_EN = re.compile(r"\b(?:upload|uploading|re-?upload|email|e-mail|rename|compress|fax(?! machine)|"
                            r"print (?:this|it|that|the|out|me)|(?:post|share|forward|send|attach|tweet) (?:this|it|that|"
                            r"the (?:photo|image|picture|pic|file|screenshot))\b(?! (?:one|ones|[a-z]+ (?:on|in|at|from))\b))\b")
FILE_ACTION_ZH = re.compile(r"上传|发给|发到|发送到?|发邮件|转发|分享(?:到|给)|打印(?!机)|重命名|改名|压缩(?!机)|传到|存到|保存到|备份|"
                            r"发朋友圈|发微信|发群里|"
                            # an English verb of the file inside Chinese ('把这张图 share 给同事')
                            r"(?i:share|send|post|forward|upload|email|print)\s*(?:给|到|至|出来)")
# 'smooth out the skin and fix the white balance', '帮我磨皮调色': retouching the photo, which no mask does
EDIT_ACTION_EN = re.compile(r"\b(?:retouch\w*|photoshop|airbrush\w*|smooth(?:en)? out|smooth(?:en)? (?:the |her |his |my )?skin|"
                            r"brighten|lighten (?:it|this|the (?:photo|image|picture|pic))|sharpen|denoise|"
                            r"(?:fix|adjust|correct|balance|boost|tweak) (?:the )?(?:white balance|exposure|colou?rs?|"
                            r"lighting|contrast|brightness|saturation|tones?|skin tones?)|colou?r[- ]?(?:correct|grade)\w*|"
                            r"remove (?:the |her |his |my |any )?(?:blemishes|wrinkles|red[- ]?eyes?|acne|pimples|spots)|"
                            r"whiten (?:the |her |his |my )?teeth|"
                            # 'make the sky bluer', 'can you make it brighter': a comparative asks for an edit
                            r"make (?:the |this |that |it |her |his |my )[a-z ]{0,30}?(?:look |appear |seem )?(?:bluer|brighter|"
                            r"darker|sharper|warmer|cooler|lighter|clearer|whiter|greener|redder|bigger|smaller|larger|"
                            # 'make the sky look more blue': more or less of a quality is an edit too
                            r"pop(?: more)?\b|(?:more|less) (?:vivid|colou?rful|saturated|blurry|blurred|grainy|noisy|"
                            r"dramatic|moody|vibrant|"
                            r"faded|washed out|"
                            r"blue|red|green|yellow|orange|purple|pink|white|"
                            r"black|grey|gray|bright|dark|warm|cool|sharp|clear|natural|contrast\w*))|"
                            r"crop (?:it|this|the (?:photo|image|picture|pic))(?: to| down| smaller| tighter)?)\b")
EDIT_ACTION_ZH = re.compile(r"磨皮|美白|调色|修图|P图|p图|美颜|瘦脸|祛痘|去痘|提亮|调亮|白平衡|曝光|滤镜|去红眼|"
                            # '把这张照片 crop 成正方形': the English verb of an edit in a Chinese request
                            r"(?i:crop|resize|rotate|fix|edit|enhance|retouch|blur)(?=\s*(?:成|到|一下|为))|"
                            # '帮我把背景虚化一下': blurring the background is an edit; '修得好看点': retouching
                            r"虚化|修(?:得|一下|一修)?(?:好看|漂亮|美|精致)|"
                            # '把这张照片裁小一点': cropping or resizing the picture itself (not 裁缝, a tailor)
                            r"裁(?:小|大|剪|掉|成|一下|短)(?!缝)|剪裁|调(?:大|小)一点|缩小一点|放大一点")
_MASK_WORDS = re.compile(r"\b(?:masks?|segmentations?|bbox(?:es)?|bounding box(?:es)?|outlines?|cut-?outs?)\b|掩码|蒙版|分割")


def asks_for_a_file_action(text: str, lowered: str) -> bool:
    """Whether the request's verb acts on the file (uploads, sends, prints, renames it) and no verb asks to segment."""
    if _MASK_WORDS.search(lowered):
        return False
    english = FILE_ACTION_EN.search(lowered) and not REQUEST_EN.search(FILE_ACTION_EN.sub(" ", lowered))
    edit = EDIT_ACTION_EN.search(lowered) and not REQUEST_EN.search(EDIT_ACTION_EN.sub(" ", lowered))
    return bool(english or edit or FILE_ACTION_ZH.search(text) or EDIT_ACTION_ZH.search(text)) \
        and not REQUEST_ZH.search(text)


ANSWER_VERBS = ("segment", "select", "mask", "highlight", "outline", "mark", "find", "cut", "show", "circle", "isolate",
                "pick", "grab")


def _asks(sentence: str) -> bool:
    """Whether a sentence after a question asks for it to be segmented ('segment that one', typed 'segemnt' too)."""
    words = re.sub(r"^(?:(?:please|pls|now|then|and|so|just|ok|okay)\s+)+", "", sentence).split()
    return bool(words) and (words[0] in ANSWER_VERBS or (not lemmas(words[0]) and bool(
        difflib.get_close_matches(words[0], ANSWER_VERBS, n=1, cutoff=0.8))))


def classify(text: str, language: str) -> Intent:
    """`text` is normalised and simplified; English is matched in lower case; emoticons are no words (':)', '^^')."""
    lowered = re.sub(r"(?:^|(?<=\s))(?:[:;=]-?[)(dDpP/]|\^_?\^|<3|xd)(?=\s|$)", " ", text.lower()).strip()
    squeezed = re.sub(r"[\s。！!？?，,.]", "", text)
    if COMPLIMENT_EN.match(lowered) or REMARK_WITH_TAG_EN.match(lowered):
        return Intent.GREETING
    tokens = re.findall(r"[a-z']+", lowered)
    if (tokens and set(tokens) <= ACKNOWLEDGEMENT_EN and not re.search(r"[\u3400-\u9fff]", text)) \
            or ACKNOWLEDGEMENT_ZH.match(squeezed) or GREETING_ZH.match(squeezed):
        return Intent.GREETING
    if CHATTER_EN.match(lowered) and not REQUEST_EN.search(lowered):
        return Intent.OFF_TASK  # 'lol this pic is so funny': talk about the picture, no request in it
    if FAREWELL_EN.match(lowered.strip()) or THANKS_FOR_BEFORE_EN.match(lowered.strip()):
        return Intent.GREETING
    if GREETING_EN.match(lowered) or VAGUE_EN.match(HEDGES_EN.sub("", lowered).strip(" .!?")):
        return Intent.GREETING if GREETING_EN.match(lowered) else Intent.VAGUE
    if OFF_TASK_EN.search(lowered) or OFF_TASK_ZH.search(text) or asks_for_a_file_action(text, lowered):
        return Intent.OFF_TASK
    if VAGUE_ZH.match(squeezed) or VAGUE_AS_BEFORE_ZH.search(squeezed) or VAGUE_THING_ZH.match(squeezed):
        return Intent.VAGUE
    if language == "zh" or re.search(r"[\u3400-\u9fff]", text) and not re.search(r"[a-z]{3,}", lowered):
        if IDENTITY_QUESTION_ZH.search(text) and not REQUEST_ZH.search(text):
            return Intent.QUESTION
        if COUNT_ZH.search(text) and not re.search(r"为什么|怎么|如何|回答|什么", text):
            return Intent.COUNT_QUESTION
        if QUESTION_ZH.search(text):
            # '如果太阳很刺眼，我应该用图中的什么物品，框出该物品' asks for reasoning even with a request verb in it
            return Intent.QUESTION
        if YES_NO_ZH.search(text) and not REQUEST_ZH.search(text):
            if QUALITY_QUESTION_ZH.search(text) and not EXISTENCE_ZH.search(text) \
                    and not re.search(r"[选标圈框抠扣分找挑拣勾描]|\d\s*号", text):  # '帮我圈一下猫吗' asks; '2号对吗'
                # asks of a numbered answer
                return Intent.QUESTION
            return Intent.COUNT_QUESTION  # '图里有猫吗': segmenting the cats answers it, but it is a guess
        return Intent.REQUEST
    if re.search(r"[\u3400-\u9fff]", text) and QUESTION_ZH.search(text) and not REQUEST_ZH.search(text) \
            and not REQUEST_EN.search(lowered):
        return Intent.QUESTION  # '这个 app 怎么 export 成 PDF 啊': a question asked in Chinese, English words in it
    sentences = [x.strip() for x in re.split(r"[.!?;]+\s*", lowered) if x.strip()]
    if len(sentences) > 1 and QUESTION_EN.match(sentences[0]) and any(_asks(later) for later in sentences[1:]):
        return Intent.COUNT_QUESTION  # 'which is the biggest melon? segment it': a request after all, read with care
    if ABOUT_THE_TOOL_EN.search(lowered):
        return Intent.QUESTION  # 'how does this thing work?': a question about segchat, which no mask answers
    match = QUESTION_EN.match(lowered)
    if match:
        if match.group("w") == "how" and MEASURE_QUESTION.match(match.group("rest")):
            return Intent.QUESTION  # 'how many calories are in that pizza': a quantity to know, nothing to count
        if match.group("w") == "how" and GENERAL_COUNT.match(match.group("rest")):
            return Intent.QUESTION  # 'how many teeth does an adult have': what anyone has, not what the picture shows
        if match.group("w") == "how" and re.match(r"\s*many\b", match.group("rest")):
            return Intent.COUNT_QUESTION
        if match.group("w") == "where" and re.match(r"\s*(is|are|'s)\s+(the|a|an|all|my|some)?\s*[a-z\- ]+\??\s*$",
                                                   match.group("rest")):
            return Intent.REQUEST  # 'where is the red kettle?' is a request to find it
        return Intent.QUESTION
    if IF_QUESTION_EN.search(lowered) or CLAUSE_QUESTION_EN.search(lowered):
        return Intent.QUESTION
    if IDENTITY_QUESTION_EN.match(lowered) and not REQUEST_EN.search(lowered):
        return Intent.QUESTION
    if asks_for_a_quality(lowered) and not REQUEST_EN.search(lowered):
        return Intent.QUESTION
    if ABILITY_QUESTION_EN.match(lowered) and not REQUEST_EN.search(lowered):
        return Intent.QUESTION
    if YES_NO_EN.match(lowered):
        return Intent.COUNT_QUESTION  # 'are there any dogs?': segmenting them answers it, but it is a guess
    return Intent.REQUEST


CLARIFY = {
    "en": "What would you like me to segment in the image? Name the objects, e.g. \"the red car on the left\".",
    "zh": "你想在图里分割什么？请说出物体，例如“左边的红色汽车”。",
}
QUESTION = {
    "en": "This is a question that needs reasoning about the image, which the offline parser cannot do. Name the "
          "object to segment (e.g. \"the knife\"), or run segchat with a VL model (--llm-url or --llm local:DIR).",
    "zh": "这是需要看图推理的问题，离线解析器无法回答。请直接说出要分割的物体（例如“刀”），或者配置视觉语言模型（--llm-url 或 "
          "--llm local:目录）。",
}
LOW_CONFIDENCE = {
    "en": "I am not sure I read this request right (the offline parser read it; an LLM would read it better).",
    "zh": "我不确定是否正确理解了这个请求（这是离线解析器的理解，配置大模型会更准确）。",
}


def clarify_text(intent: Intent, language: str) -> str:
    return (QUESTION if intent is Intent.QUESTION else CLARIFY)[language if language in ("en", "zh") else "en"]
