"""Deterministic demo data for the business hall and the staff console (``manage.py seed_demo``).

:func:`generate_demo_dataset` is pure — two seeded generators (``random.Random`` and Faker ``zh_CN``), no
database, no clock — so the same seed and ``as_of`` always give the same names, ID numbers, credit
codes, phones, addresses and account numbers. :func:`write_demo_dataset` stores a dataset with
``bulk_create`` in batches; ``EncryptedTextField.pre_save`` runs inside ``bulk_create``, so every
personal field reaches the database as ciphertext (and its blind index is computed) exactly as on
``save()``. Nothing is pre-encrypted or cached outside the field machinery.

The demo users (one business-hall customer with two bound accounts, one staff user per role, a
superuser) have fixed, printed passwords: they exist only to try the system out.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from faker import Faker
from tqdm import tqdm

from customers.models import Account, Customer, Feeder, Interaction, PortalBinding, Tag, TransformerArea
from customers.validators import CREDIT_CHARSET, credit_code_check_char, id_number_check_char
from security import roles

# --- demo logins -------------------------------------------------------------------------------

DEMO_CUSTOMER_USERNAME = "c_demo"  # opaque handle: customers sign in with their phone number
DEMO_CUSTOMER_PHONE = "13800138000"
# Demo-only credentials, printed by the command on purpose; never use seed_demo on real data.
DEMO_CUSTOMER_PASSWORD = "hall-demo-2025"  # noqa: S105
DEMO_STAFF_PASSWORD = "staff-demo-2025"  # noqa: S105
DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "admin-demo-2025"  # noqa: S105
ROLE_USERNAMES = {
    roles.CUSTOMER_SERVICE_AGENT: "agent",
    roles.BILLING_CLERK: "clerk",
    roles.FIELD_ENGINEER: "engineer",
    roles.MARKETING_ANALYST: "analyst",
    roles.SECURITY_AUDITOR: "auditor",
    roles.SYSTEM_ADMINISTRATOR: "sysadmin",
    roles.SECURITY_ADMINISTRATOR: "secadmin",
}


def staff_username_for(*, role: str) -> str:
    """The demo username of a role; roles added later without a short name use the role name."""
    return ROLE_USERNAMES.get(role, role)


# --- reference data: places, identifiers, names --------------------------------------------------


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
PERSONAL_MAIL_DOMAINS = (("qq.com", 35), ("163.com", 25), ("126.com", 10), ("sina.com", 5), ("foxmail.com", 5))
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


# --- the dataset ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeederData:
    code: str
    name: str
    substation: str
    district: str


@dataclass(frozen=True)
class AreaData:
    code: str
    name: str
    feeder_code: str
    district: str
    transformer_kva: Decimal


@dataclass(frozen=True)
class AccountData:
    number: str
    premise_address: str
    category: str
    voltage_level: str
    contracted_kva: Decimal
    status: str
    opened_on: dt.date
    closed_on: dt.date | None
    area_code: str


@dataclass(frozen=True)
class CustomerData:
    kind: str
    name: str
    id_number: str  # ID number (individual) or unified social credit code (enterprise)
    phone: str
    email: str | None
    address: str
    accounts: tuple[AccountData, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True)
class InteractionData:
    customer_index: int
    account_number: str | None
    channel: str
    topic: str
    notes: str
    staff_username: str
    occurred_at: dt.datetime


@dataclass(frozen=True)
class DemoDataset:
    seed: int
    feeders: tuple[FeederData, ...]
    areas: tuple[AreaData, ...]
    customers: tuple[CustomerData, ...]  # customers[0] is the demo business-hall customer
    interactions: tuple[InteractionData, ...]


@dataclass(frozen=True)
class DemoLogin:
    who: str
    login: str
    password: str


@dataclass(frozen=True)
class BindingExample:
    """An unbound account and the proof a new business-hall user can type to bind it."""

    account_number: str
    id_number_last6: str


@dataclass(frozen=True)
class SeedResult:
    customers: int
    accounts: int
    feeders: int
    areas: int
    interactions: int
    logins: list[DemoLogin] = field(default_factory=list)


# --- generation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Location:
    district: District
    place: str  # a road, or a village ("瓜沥镇坎山村")
    rural: bool

    @property
    def feeder_stem(self) -> str:
        """'文三路' → '文三', '瓜沥镇坎山村' → '瓜沥': feeders are named after a road or a town."""
        if self.rural:
            return self.place[:2]
        for suffix in ("大道", "路", "街"):
            if self.place.endswith(suffix):
                return self.place[: -len(suffix)][:2]
        return self.place[:2]


@dataclass(frozen=True)
class _PublicArea:
    data: AreaData
    location: _Location


def gb11714_check_char(first8: str) -> str:
    """Check character of a GB 11714 organisation code (positions 9–17 of a credit code carry one)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(first8, weights, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def weighted_choice(rng: random.Random, choices: Sequence[tuple[object, int]]):
    """One value of (value, weight) pairs, drawn with ``rng`` (demo data, reproducible)."""
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


def _random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    if end <= start:
        return start
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


class _Generator:
    """Draws every value from two seeded sources in a fixed order, which is what makes it repeatable."""

    def __init__(self, *, seed: int, as_of: dt.date) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.as_of = as_of
        self.used_id_numbers: set[str] = set()
        self.used_phones: set[str] = {DEMO_CUSTOMER_PHONE}
        self.used_account_numbers: set[str] = set()
        self.used_company_names: set[str] = set()
        self.dedicated_areas: list[AreaData] = []
        self.feeders: list[FeederData] = []
        self.public_areas: list[_PublicArea] = []
        self.feeder_locations: list[_Location] = []

    # grid ------------------------------------------------------------------------------------

    def build_grid(self, *, customers: int) -> None:
        locations = [_Location(d, road, False) for d in DISTRICTS for road in d.roads]
        locations += [_Location(d, village, True) for d in DISTRICTS for village in d.villages]
        self.rng.shuffle(locations)
        # Real 台区 serve roughly 50–300 low-voltage customers; ~60 accounts each keeps demo areas busy.
        area_count = max(3, math.ceil(customers * 1.15 / 60))
        feeder_count = max(2, math.ceil(area_count / 6))
        ordinals = "一二三四五六七八九"
        for i in range(feeder_count):
            location = locations[i % len(locations)]
            lap = i // len(locations)
            name = f"{location.feeder_stem}线" if lap == 0 else f"{location.feeder_stem}{ordinals[lap % 9]}线"
            self.feeders.append(
                FeederData(
                    code=f"F{location.district.region_code}{i + 1:03d}",
                    name=name,
                    substation=f"110kV{location.feeder_stem}变",
                    district=location.district.name,
                )
            )
            self.feeder_locations.append(location)
        per_place: dict[str, int] = {}
        for j in range(area_count):
            feeder_index = j % feeder_count
            location = self.feeder_locations[feeder_index]
            place_key = location.district.name + location.place
            per_place[place_key] = per_place.get(place_key, 0) + 1
            kva_choices = RURAL_TRANSFORMER_KVA if location.rural else URBAN_TRANSFORMER_KVA
            area = AreaData(
                code=f"TA{location.district.region_code}{j + 1:05d}",
                name=f"{location.district.name}{location.place}{per_place[place_key]}号公变",
                feeder_code=self.feeders[feeder_index].code,
                district=location.district.name,
                transformer_kva=Decimal(self.rng.choice(kva_choices)),
            )
            self.public_areas.append(_PublicArea(data=area, location=location))

    # identifiers -----------------------------------------------------------------------------

    def id_number(self, *, home: District, male: bool) -> tuple[str, dt.date]:
        while True:
            roll = self.rng.random()
            if roll < 0.7:
                region = home.region_code
            elif roll < 0.85:
                region = self.rng.choice(ZHEJIANG_BIRTH_REGIONS)
            else:
                region = self.rng.choice(OTHER_BIRTH_REGIONS)
            birth = _random_date(self.rng, BIRTH_FROM, BIRTH_TO)
            serial = self.rng.randrange(0, 1000)
            if serial % 2 != int(male):  # GB 11643: the sequence code is odd for men, even for women
                serial = (serial + 1) % 1000
            body = f"{region}{birth:%Y%m%d}{serial:03d}"
            number = body + id_number_check_char(body)
            if number not in self.used_id_numbers:
                self.used_id_numbers.add(number)
                return number, birth

    def credit_code(self, *, region_code: str, organisation_kind: str) -> str:
        """GB 32100: '9' (market regulator) + kind ('1' company, '3' cooperative) + region + org code + check."""
        while True:
            if self.rng.random() < 0.6:  # codes issued since 2015 carry an 'MA…' organisation code
                org8 = "MA" + "".join(self.rng.choice(CREDIT_CHARSET) for _ in range(6))
            else:
                org8 = f"{self.rng.randrange(10**7, 10**8)}"
            body = f"9{organisation_kind}{region_code}{org8}{gb11714_check_char(org8)}"
            code = body + credit_code_check_char(body)
            if code not in self.used_id_numbers:
                self.used_id_numbers.add(code)
                return code

    def phone(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def account_number(self) -> str:
        while True:
            number = f"33{self.rng.randrange(10**7, 10**8)}"  # never '3300…', which tests/factories use
            if number not in self.used_account_numbers:
                self.used_account_numbers.add(number)
                return number

    def personal_email(self) -> str | None:
        roll = self.rng.random()
        if roll < 0.25:
            return None
        if roll < 0.4:
            return f"{self.rng.randrange(10**7, 3 * 10**9)}@qq.com"
        suffix = str(self.rng.randrange(1, 2000)) if self.rng.random() < 0.5 else ""
        return f"{self.fake.user_name()}{suffix}@{weighted_choice(self.rng, PERSONAL_MAIL_DOMAINS)}"

    def company_email(self) -> str:
        mailbox = self.rng.choice(("service", "contact", "info", "office", "finance"))
        return f"{mailbox}@{self.fake.domain_word()}{self.rng.randrange(1, 100)}.{self.rng.choice(('com', 'cn', 'com.cn'))}"

    def company_name(self, *, city: str, trades: Sequence[str]) -> str:
        while True:
            trade_name = "".join(self.rng.sample(TRADE_NAME_CHARS, 2))
            trade = self.rng.choice(trades)
            suffix = "" if trade.endswith("合作社") else "有限公司"
            name = f"{city[:2]}{trade_name}{trade}{suffix}"
            if name not in self.used_company_names:
                self.used_company_names.add(name)
                return name

    # addresses -------------------------------------------------------------------------------

    def _prefix(self, district: District) -> str:
        return f"{PROVINCE}{district.city}{district.name}"

    def home_address(self, location: _Location) -> str:
        if location.rural:
            return f"{self._prefix(location.district)}{location.place}{self.rng.randint(1, 12)}组{self.rng.randint(1, 120)}号"
        floor, room = self.rng.randint(1, 18), self.rng.randint(1, 4)
        return (
            f"{self._prefix(location.district)}{location.place}{self.rng.randint(1, 399)}号"
            f"{self.rng.randint(1, 30)}幢{self.rng.randint(1, 4)}单元{floor}{room:02d}室"
        )

    def shop_address(self, location: _Location) -> str:
        return f"{self._prefix(location.district)}{location.place}{self.rng.randint(1, 399)}号{self.rng.choice(SHOP_SUFFIXES)}"

    def farm_address(self, location: _Location) -> str:
        return f"{self._prefix(location.district)}{location.place}{self.rng.randint(1, 12)}组农田排灌站"

    def plant_address(self, district: District) -> str:
        return f"{self._prefix(district)}{district.industrial_road}{self.rng.randint(1, 999)}号"

    # accounts --------------------------------------------------------------------------------

    def _dates(self, *, earliest: dt.date, active: bool = False) -> tuple[str, dt.date, dt.date | None]:
        latest = self.as_of - dt.timedelta(days=30)
        opened = _random_date(self.rng, min(max(earliest, ACCOUNTS_OPEN_FROM), latest), latest)
        roll = 1.0 if active else self.rng.random()
        if roll < 0.02:
            return Account.Status.CLOSED, opened, _random_date(self.rng, opened, self.as_of)
        if roll < 0.05:
            return Account.Status.PAUSED, opened, None
        return Account.Status.ACTIVE, opened, None

    def account(
        self,
        *,
        category: str,
        premise_address: str,
        area: AreaData,
        kva_choices: Sequence[tuple[int, int]],
        earliest: dt.date,
        active: bool = False,
    ) -> AccountData:
        voltage = {
            Account.Category.RESIDENTIAL: Account.VoltageLevel.V220,
            Account.Category.COMMERCIAL: Account.VoltageLevel.V380,
            Account.Category.AGRICULTURAL: Account.VoltageLevel.V380,
            Account.Category.INDUSTRIAL: Account.VoltageLevel.KV10,
        }[category]
        status, opened, closed = self._dates(earliest=earliest, active=active)
        return AccountData(
            number=self.account_number(),
            premise_address=premise_address,
            category=category,
            voltage_level=voltage,
            contracted_kva=Decimal(weighted_choice(self.rng, kva_choices)).quantize(Decimal("0.01")),
            status=status,
            opened_on=opened,
            closed_on=closed,
            area_code=area.code,
        )

    def dedicated_area(self, *, company: str, district: District, kva: Decimal, feeder: FeederData) -> AreaData:
        short = company.removeprefix(district.city[:2]).removesuffix("有限公司")
        existing = sum(1 for a in self.dedicated_areas if a.name.startswith(short))
        area = AreaData(
            code=f"TZ{district.region_code}{len(self.dedicated_areas) + 1:05d}",
            name=f"{short}{'' if existing == 0 else existing + 1}专变",
            feeder_code=feeder.code,
            district=district.name,
            transformer_kva=kva,
        )
        self.dedicated_areas.append(area)
        return area

    # customers -------------------------------------------------------------------------------

    def individual(self, *, demo_holder: bool = False) -> CustomerData:
        male = self.rng.random() < 0.5
        name = self.fake.name_male() if male else self.fake.name_female()
        home = self.public_areas[0] if demo_holder else self.rng.choice(self.public_areas)
        id_number, birth = self.id_number(home=home.location.district, male=male)
        adult = dt.date(birth.year + 18, birth.month, 1)  # accounts open in the holder's own name
        address = self.home_address(home.location)
        accounts = [
            self.account(
                category=Account.Category.RESIDENTIAL,
                premise_address=address,
                area=home.data,
                kva_choices=RESIDENTIAL_KVA,
                earliest=adult,
                active=demo_holder,
            )
        ]
        roll = self.rng.random()
        extra_homes = 0 if demo_holder else 2 if roll < 0.03 else 1 if roll < 0.13 else 0
        for _ in range(extra_homes):
            other = self.rng.choice(self.public_areas)
            accounts.append(
                self.account(
                    category=Account.Category.RESIDENTIAL,
                    premise_address=self.home_address(other.location),
                    area=other.data,
                    kva_choices=RESIDENTIAL_KVA,
                    earliest=adult,
                )
            )
        room_for_more = extra_homes < 2  # at most three accounts per resident
        if room_for_more and (demo_holder or self.rng.random() < 0.05):  # a resident's own shop (个体户)
            shop = self.public_areas[1 % len(self.public_areas)] if demo_holder else self.rng.choice(self.public_areas)
            accounts.append(
                self.account(
                    category=Account.Category.COMMERCIAL,
                    premise_address=self.shop_address(shop.location),
                    area=shop.data,
                    kva_choices=SHOP_KVA,
                    earliest=adult,
                    active=demo_holder,
                )
            )
        elif room_for_more and home.location.rural and self.rng.random() < 0.25:
            accounts.append(
                self.account(
                    category=Account.Category.AGRICULTURAL,
                    premise_address=self.farm_address(home.location),
                    area=home.data,
                    kva_choices=AGRICULTURAL_KVA,
                    earliest=adult,
                )
            )
        tags = []
        if birth.year < 1955 and self.rng.random() < 0.3:
            tags.append("独居老人")
        if self.rng.random() < 0.08:
            tags.append("电动汽车用户")
        if self.rng.random() < 0.04:
            tags.append("分布式光伏")
        if self.rng.random() < 0.02:
            tags.append("低保户")
        return CustomerData(
            kind=Customer.Kind.INDIVIDUAL,
            name=name,
            id_number=id_number,
            phone=DEMO_CUSTOMER_PHONE if demo_holder else self.phone(),
            email=self.personal_email(),
            address=address,
            accounts=tuple(accounts),
            tags=tuple(tags),
        )

    def enterprise(self) -> CustomerData:
        roll = self.rng.random()
        accounts: list[AccountData] = []
        tags: list[str] = []
        if roll < 0.55:
            first = self.rng.choice(self.public_areas)
            name = self.company_name(city=first.location.district.city, trades=COMMERCIAL_TRADES)
            credit_code = self.credit_code(region_code=first.location.district.region_code, organisation_kind="1")
            sites = [first] + [self.rng.choice(self.public_areas) for _ in range(self._extra_sites(share=0.25))]
            for site in sites:
                accounts.append(
                    self.account(
                        category=Account.Category.COMMERCIAL,
                        premise_address=self.shop_address(site.location),
                        area=site.data,
                        kva_choices=COMMERCIAL_KVA,
                        earliest=ACCOUNTS_OPEN_FROM,
                    )
                )
        elif roll < 0.95:
            feeder_index = self.rng.randrange(len(self.feeders))
            district = self.feeder_locations[feeder_index].district
            name = self.company_name(city=district.city, trades=INDUSTRIAL_TRADES)
            credit_code = self.credit_code(region_code=district.region_code, organisation_kind="1")
            for site in range(1 + (self.rng.random() < 0.2)):
                if site:
                    feeder_index = self.rng.randrange(len(self.feeders))
                kva = Decimal(weighted_choice(self.rng, INDUSTRIAL_KVA)).quantize(Decimal("0.01"))
                plant_district = self.feeder_locations[feeder_index].district
                area = self.dedicated_area(
                    company=name, district=plant_district, kva=kva, feeder=self.feeders[feeder_index]
                )
                account = self.account(
                    category=Account.Category.INDUSTRIAL,
                    premise_address=self.plant_address(plant_district),
                    area=area,
                    kva_choices=((int(kva), 1),),  # a 10 kV customer contracts its own transformer's rating
                    earliest=ACCOUNTS_OPEN_FROM,
                )
                accounts.append(account)
            if self.rng.random() < 0.3:
                tags.append("高耗能企业")
        else:
            rural = [a for a in self.public_areas if a.location.rural] or self.public_areas
            site = self.rng.choice(rural)
            name = self.company_name(city=site.location.district.city, trades=AGRICULTURAL_TRADES)
            credit_code = self.credit_code(region_code=site.location.district.region_code, organisation_kind="3")
            accounts.append(
                self.account(
                    category=Account.Category.AGRICULTURAL,
                    premise_address=self.farm_address(site.location),
                    area=site.data,
                    kva_choices=AGRICULTURAL_KVA,
                    earliest=ACCOUNTS_OPEN_FROM,
                )
            )
        biggest = max(a.contracted_kva for a in accounts)
        if biggest >= 1000 or self.rng.random() < 0.02:
            tags.append("VIP客户")
        if biggest >= 100 and self.rng.random() < 0.5:
            tags.append("需求响应潜力")
        return CustomerData(
            kind=Customer.Kind.ENTERPRISE,
            name=name,
            id_number=credit_code,
            phone=self.phone(),
            email=self.company_email(),
            address=accounts[0].premise_address,
            accounts=tuple(accounts),
            tags=tuple(tags),
        )

    def _extra_sites(self, *, share: float) -> int:
        return self.rng.randint(1, 2) if self.rng.random() < share else 0

    def interaction(self, *, customers: Sequence[CustomerData]) -> InteractionData:
        index = self.rng.randrange(len(customers))
        customer = customers[index]
        account = self.rng.choice(customer.accounts).number if self.rng.random() < 0.7 else None
        topic, notes = self.rng.choice(INTERACTION_TOPICS)
        day = self.as_of - dt.timedelta(days=self.rng.randint(1, 365))
        at = dt.time(hour=self.rng.randint(8, 17), minute=self.rng.randrange(0, 60, 5))
        return InteractionData(
            customer_index=index,
            account_number=account,
            channel=weighted_choice(self.rng, INTERACTION_CHANNELS),
            topic=topic,
            notes=notes,
            staff_username=staff_username_for(
                role=roles.CUSTOMER_SERVICE_AGENT if self.rng.random() < 0.7 else roles.BILLING_CLERK
            ),
            occurred_at=dt.datetime.combine(day, at, tzinfo=timezone.get_default_timezone()),
        )


def generate_demo_dataset(*, customers: int, seed: int, as_of: dt.date) -> DemoDataset:
    """Build the whole demo dataset in memory. Same arguments → identical dataset."""
    if customers < 1:
        raise ValueError("customers must be at least 1 (the demo customer)")
    gen = _Generator(seed=seed, as_of=as_of)
    gen.build_grid(customers=customers)
    people: list[CustomerData] = [gen.individual(demo_holder=True)]
    for _ in range(customers - 1):
        people.append(gen.individual() if gen.rng.random() < 0.88 else gen.enterprise())
    interactions = [gen.interaction(customers=people) for _ in range(max(5, customers // 10))]
    return DemoDataset(
        seed=seed,
        feeders=tuple(gen.feeders),
        areas=tuple(a.data for a in gen.public_areas) + tuple(gen.dedicated_areas),
        customers=tuple(people),
        interactions=tuple(interactions),
    )


# --- writing -------------------------------------------------------------------------------------


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def demo_users_exist() -> bool:
    user_model = get_user_model()
    return user_model.objects.filter(username__in=[DEMO_CUSTOMER_USERNAME, DEMO_ADMIN_USERNAME]).exists()


def database_has_customers() -> bool:
    return Customer.objects.exists()


def demo_logins() -> list[DemoLogin]:
    logins = [
        DemoLogin(
            who="business-hall customer",
            login=f"{DEMO_CUSTOMER_PHONE} (or {DEMO_CUSTOMER_USERNAME})",
            password=DEMO_CUSTOMER_PASSWORD,
        ),
        DemoLogin(who="superuser", login=DEMO_ADMIN_USERNAME, password=DEMO_ADMIN_PASSWORD),
    ]
    for role in roles.ALL_ROLES:
        logins.append(
            DemoLogin(
                who=f"staff: {roles.ROLE_LABELS[role]}",
                login=staff_username_for(role=role),
                password=DEMO_STAFF_PASSWORD,
            )
        )
    return logins


def binding_example() -> BindingExample | None:
    """An active account of an individual that nobody has bound yet, to try the binding proof with."""
    account = (
        Account.objects.select_related("customer")
        .filter(
            status=Account.Status.ACTIVE,
            customer__kind=Customer.Kind.INDIVIDUAL,
            bindings__isnull=True,
        )
        .order_by("customer_id", "id")
        .first()
    )
    if account is None or not account.customer.id_number:
        return None
    return BindingExample(account_number=account.number, id_number_last6=account.customer.id_number[-6:])


def _create_staff_users() -> dict[str, object]:
    user_model = get_user_model()
    users = {}
    for role in roles.ALL_ROLES:
        username = staff_username_for(role=role)
        user = user_model(
            username=username,
            kind=user_model.Kind.STAFF,
            is_staff=True,
            email=f"{username}@portal.example",
            first_name=roles.ROLE_LABELS[role].split(" / ")[0],
        )
        user.set_password(DEMO_STAFF_PASSWORD)
        user.save()
        user.groups.add(Group.objects.get(name=role))
        users[username] = user
    admin = user_model.objects.create_superuser(
        username=DEMO_ADMIN_USERNAME,
        email="admin@portal.example",
        password=DEMO_ADMIN_PASSWORD,
        kind=user_model.Kind.STAFF,
    )
    users[DEMO_ADMIN_USERNAME] = admin
    return users


def _create_demo_customer_user(*, accounts: Sequence[Account]) -> object:
    user_model = get_user_model()
    user = user_model(username=DEMO_CUSTOMER_USERNAME, kind=user_model.Kind.CUSTOMER, phone=DEMO_CUSTOMER_PHONE)
    user.set_password(DEMO_CUSTOMER_PASSWORD)
    user.save()
    PortalBinding.objects.bulk_create(
        [
            PortalBinding(user=user, account=account, role=PortalBinding.Role.OWNER, method=PortalBinding.Method.STAFF)
            for account in accounts
        ]
    )
    return user


@transaction.atomic
def write_demo_dataset(*, dataset: DemoDataset, batch_size: int = 1000, progress: bool = False) -> SeedResult:
    """Store ``dataset`` and create the demo users. Expects a database without demo data."""
    staff = _create_staff_users()
    tags = {name: Tag.objects.get_or_create(name=name, defaults={"description": d})[0] for name, d in TAGS}
    feeders = {
        f.code: f
        for f in Feeder.objects.bulk_create(
            [
                Feeder(code=f.code, name=f.name, substation=f.substation, voltage_kv=Decimal("10.00"))
                for f in dataset.feeders
            ]
        )
    }
    engineer = staff.get(staff_username_for(role=roles.FIELD_ENGINEER))
    areas = {
        a.code: a
        for a in TransformerArea.objects.bulk_create(
            [
                TransformerArea(
                    code=a.code,
                    name=a.name,
                    feeder=feeders[a.feeder_code],
                    transformer_kva=a.transformer_kva,
                    district=a.district,
                    supervisor=engineer,
                )
                for a in dataset.areas
            ],
            batch_size=batch_size,
        )
    }
    saved_customers: list[Customer] = []
    accounts_by_number: dict[str, Account] = {}
    tag_links = Customer.tags.through
    with tqdm(total=len(dataset.customers), unit="customer", disable=not progress) as bar:
        for chunk in _chunks(dataset.customers, batch_size):
            # pre_save of the encrypted fields runs inside bulk_create: ciphertext and blind indexes.
            batch = Customer.objects.bulk_create(
                [
                    Customer(
                        kind=c.kind,
                        name=c.name,
                        id_number=c.id_number,
                        phone=c.phone,
                        email=c.email,
                        address=c.address,
                    )
                    for c in chunk
                ]
            )
            accounts = Account.objects.bulk_create(
                [
                    Account(
                        number=a.number,
                        customer=customer,
                        premise_address=a.premise_address,
                        category=a.category,
                        voltage_level=a.voltage_level,
                        contracted_kva=a.contracted_kva,
                        status=a.status,
                        opened_on=a.opened_on,
                        closed_on=a.closed_on,
                        area=areas[a.area_code],
                    )
                    for c, customer in zip(chunk, batch, strict=True)
                    for a in c.accounts
                ]
            )
            tag_links.objects.bulk_create(
                [
                    tag_links(customer_id=customer.pk, tag_id=tags[name].pk)
                    for c, customer in zip(chunk, batch, strict=True)
                    for name in c.tags
                ]
            )
            saved_customers.extend(batch)
            accounts_by_number.update((a.number, a) for a in accounts)
            bar.update(len(chunk))
    Interaction.objects.bulk_create(
        [
            Interaction(
                customer=saved_customers[i.customer_index],
                account=accounts_by_number[i.account_number] if i.account_number else None,
                channel=i.channel,
                topic=i.topic,
                notes=i.notes,
                staff=staff[i.staff_username],
                occurred_at=i.occurred_at,
            )
            for i in dataset.interactions
        ],
        batch_size=batch_size,
    )
    holder = dataset.customers[0]
    _create_demo_customer_user(accounts=[accounts_by_number[a.number] for a in holder.accounts[:2]])
    return SeedResult(
        customers=len(saved_customers),
        accounts=len(accounts_by_number),
        feeders=len(feeders),
        areas=len(areas),
        interactions=len(dataset.interactions),
        logins=demo_logins(),
    )


def seed_demo(
    *, customers: int, seed: int, as_of: dt.date, batch_size: int = 1000, progress: bool = False
) -> SeedResult:
    """Generate and store the demo dataset in one transaction."""
    dataset = generate_demo_dataset(customers=customers, seed=seed, as_of=as_of)
    return write_demo_dataset(dataset=dataset, batch_size=batch_size, progress=progress)


def run_app_demo_seeders(
    *, seed: int, as_of: dt.date, customers: int, curves: int | None = None, progress: bool = False
) -> list[str]:
    """Let the apps above this one add their demo data, in INSTALLED_APPS order: an AppConfig may
    name a seeder function in ``demo_seeder`` (a dotted path, so customers never imports them). It
    is called with these keyword arguments after the customers, accounts and grid exist; what it
    returns is printed."""
    summaries = []
    for config in apps.get_app_configs():
        path = getattr(config, "demo_seeder", None)
        if path:
            seeder = import_string(path)
            started = time.perf_counter()
            result = seeder(seed=seed, as_of=as_of, customers=customers, curves=curves, progress=progress)
            summaries.append(f"{result} [{config.label}: {time.perf_counter() - started:.1f} s]")
    return summaries
