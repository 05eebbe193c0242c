"""Reference data the demo dataset is drawn from: places (Zhejiang districts, roads, villages), identifier
regions, names, contracted capacities, tags and CRM topics."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from customers.models import Interaction


@dataclass(frozen=True)
class District:
    city: str
    name: str
    region_code: str  # GB/T 2260
    roads: tuple[str, ...]
    industrial_road: str
    villages: tuple[str, ...] = ()


PROVINCE = "浙江省"
DISTRICTS: tuple[District, ...] = (
    District("杭州市", "上城区", "330102", ("解放路", "庆春路", "望江路", "秋涛路", "近江路"), "九堡街道九环路"),
    District("杭州市", "拱墅区", "330105", ("莫干山路", "湖墅南路", "上塘路", "登云路", "大关路"), "祥符街道祥园路"),
    District(
        "杭州市",
        "西湖区",
        "330106",
        ("文三路", "文二路", "学院路", "古墩路", "天目山路", "教工路"),
        "三墩镇西园路",
        ("双浦镇袁浦村", "转塘街道长埭村"),
    ),
    District("杭州市", "滨江区", "330108", ("江南大道", "滨盛路", "长河路", "江虹路", "聚才路"), "浦沿街道东信大道"),
    District(
        "杭州市",
        "萧山区",
        "330109",
        ("市心路", "金城路", "人民路", "育才路"),
        "经济技术开发区建设一路",
        ("瓜沥镇坎山村", "党湾镇梅东村", "益农镇群围村"),
    ),
    District(
        "杭州市",
        "余杭区",
        "330110",
        ("文一西路", "五常大道", "良睦路", "龙潭路"),
        "仁和街道仁和大道",
        ("径山镇小古城村", "百丈镇溪口村"),
    ),
    District(
        "宁波市", "海曙区", "330203", ("中山西路", "药行街", "解放南路"), "望春工业园区望春路", ("古林镇葑水港村",)
    ),
    District(
        "宁波市", "鄞州区", "330212", ("天童南路", "四明中路", "钱湖北路"), "姜山镇科技园区园区路", ("姜山镇走马塘村",)
    ),
)
# Birthplaces of residents who moved here: elsewhere in Zhejiang, and other provinces.
ZHEJIANG_BIRTH_REGIONS = ("330302", "330402", "330502", "330602", "330702", "330782", "330802", "331002")
OTHER_BIRTH_REGIONS = ("340104", "361002", "410102", "510104", "320106", "310104", "420106", "430102", "520102")
BIRTH_FROM = dt.date(1940, 1, 1)
BIRTH_TO = dt.date(2005, 12, 31)
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "157",
    "158",
    "159",
    "166",
    "177",
    "180",
    "181",
    "182",
    "186",
    "187",
    "188",
    "189",
    "198",
    "199",
)
PERSONAL_MAIL_DOMAINS: tuple[tuple[str, int], ...] = (
    ("qq.com", 35),
    ("163.com", 25),
    ("126.com", 10),
    ("sina.com", 5),
    ("foxmail.com", 5),
)
PERSONAL_MAIL_DOMAINS += (("aliyun.com", 5), ("139.com", 10), ("outlook.com", 5))
TRADE_NAME_CHARS = "恒华永天金宏新汇瑞中博嘉万东明鑫达盛成诚远源通丰泰康隆兴伟德信力安宇佳和美越昌"
COMMERCIAL_TRADES = ("商贸", "餐饮管理", "超市", "酒店管理", "物业管理", "文化传媒", "健身服务", "医药连锁", "汽车服务")
INDUSTRIAL_TRADES = (
    "纺织",
    "机械制造",
    "化纤",
    "电子科技",
    "塑料制品",
    "印染",
    "五金制品",
    "新材料",
    "食品",
    "汽车零部件",
)
AGRICULTURAL_TRADES = ("果蔬专业合作社", "茶叶专业合作社", "水产养殖专业合作社", "粮油专业合作社")
SHOP_SUFFIXES = ("1层商铺", "101室", "底商", "2楼", "1-2层")

# (contracted kVA, weight): what a power-supply company typically contracts for each category.
RESIDENTIAL_KVA = ((4, 10), (6, 30), (8, 35), (10, 15), (12, 10))  # 220 V single-phase
COMMERCIAL_KVA = ((20, 20), (30, 20), (50, 20), (80, 12), (100, 12), (125, 6), (160, 5), (200, 5))  # 380 V
SHOP_KVA = ((20, 50), (30, 30), (50, 20))  # a resident's own shop (个体户), 380 V
INDUSTRIAL_KVA = (  # 10 kV, standard distribution-transformer ratings
    (315, 18),
    (400, 16),
    (500, 12),
    (630, 14),
    (800, 10),
    (1000, 8),
    (1250, 6),
    (1600, 5),
    (2000, 4),
    (2500, 3),
    (3150, 2),
    (4000, 1),
    (5000, 1),
)
AGRICULTURAL_KVA = ((10, 20), (15, 20), (20, 25), (30, 20), (50, 10), (80, 5))  # 380 V pumping, greenhouses
URBAN_TRANSFORMER_KVA = (200, 315, 400, 500, 630)
RURAL_TRANSFORMER_KVA = (100, 160, 200, 315)

TAGS: tuple[tuple[str, str], ...] = (
    ("VIP客户", "重点客户，优先服务"),
    ("独居老人", "高龄独居，停电及欠费需电话关怀"),
    ("电动汽车用户", "装有家用充电桩"),
    ("分布式光伏", "屋顶光伏并网"),
    ("低保户", "享受低保用户电费减免"),
    ("需求响应潜力", "可参与削峰填谷"),
    ("高耗能企业", "重点能耗监测"),
)
INTERACTION_TOPICS: tuple[tuple[str, str], ...] = (
    ("咨询阶梯电价", "已解释年度阶梯电量及各档电价，客户表示理解。"),
    ("电费账单疑问", "核对近三个月示数，电量无异常，已说明计费周期。"),
    ("申请增容", "已告知增容所需资料及办理流程，客户将通过网上营业厅提交。"),
    ("报修：家中停电", "经查为户内空开跳闸，已指导客户自行复位。"),
    ("更改联系方式", "已核验身份并更新联系方式。"),
    ("咨询光伏并网", "已介绍分布式光伏并网流程和结算方式。"),
    ("预约上门服务", "已派单装表接电班组，约定上门时间。"),
    ("咨询峰谷分时电价", "已介绍峰谷时段划分，建议错峰用电。"),
    ("投诉：抢修到达慢", "已致歉并转抢修班组跟进，客户满意度回访待办。"),
    ("需求响应活动咨询", "已介绍邀约规则和补贴标准，客户有意向参与。"),
)
INTERACTION_CHANNELS = (
    (Interaction.Channel.HOTLINE, 40),
    (Interaction.Channel.COUNTER, 20),
    (Interaction.Channel.ONLINE, 15),
    (Interaction.Channel.APP, 15),
    (Interaction.Channel.FIELD, 5),
    (Interaction.Channel.SMS, 5),
)
ACCOUNTS_OPEN_FROM = dt.date(1998, 1, 1)
