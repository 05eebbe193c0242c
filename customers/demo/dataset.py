"""The demo dataset, generated in memory.

:func:`generate_demo_dataset` is pure — two seeded generators (``random.Random`` and Faker ``zh_CN``), no
database, no clock — so the same seed and ``as_of`` always give the same names, ID numbers, credit
codes, phones, addresses and account numbers.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from faker import Faker

from core.time import local_datetime
from customers.demo.reference import (
    ACCOUNTS_OPEN_FROM,
    AGRICULTURAL_KVA,
    AGRICULTURAL_TRADES,
    BIRTH_FROM,
    BIRTH_TO,
    COMMERCIAL_KVA,
    COMMERCIAL_TRADES,
    DISTRICTS,
    INDUSTRIAL_KVA,
    INDUSTRIAL_TRADES,
    INTERACTION_CHANNELS,
    INTERACTION_TOPICS,
    MOBILE_PREFIXES,
    OTHER_BIRTH_REGIONS,
    PERSONAL_MAIL_DOMAINS,
    PROVINCE,
    RESIDENTIAL_KVA,
    RURAL_TRANSFORMER_KVA,
    SHOP_KVA,
    SHOP_SUFFIXES,
    TRADE_NAME_CHARS,
    URBAN_TRANSFORMER_KVA,
    ZHEJIANG_BIRTH_REGIONS,
    District,
)
from customers.demo.users import DEMO_CUSTOMER_PHONE, staff_username_for
from customers.models import Account, Customer
from customers.validators import CREDIT_CHARSET, credit_code_check_char, id_number_check_char
from security import roles


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
        category: Account.Category,
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
            for plant in range(1 + (self.rng.random() < 0.2)):
                if plant:
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
            occurred_at=local_datetime(day, at),
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
