"""Storing the demo dataset.

:func:`write_demo_dataset` stores a dataset with ``bulk_create`` in batches; ``EncryptedTextField.pre_save``
runs inside ``bulk_create``, so every personal field reaches the database as ciphertext (and its blind index
is computed) exactly as on ``save()``. Nothing is pre-encrypted or cached outside the field machinery.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from tqdm import tqdm

from customers.demo.dataset import DemoDataset, generate_demo_dataset
from customers.demo.reference import TAGS
from customers.demo.users import (
    DemoLogin,
    create_demo_customer_user,
    create_staff_users,
    demo_logins,
    staff_username_for,
)
from customers.models import Account, Customer, Feeder, Interaction, Tag, TransformerArea
from security import roles


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


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def database_has_customers() -> bool:
    return Customer.objects.exists()


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


@transaction.atomic
def write_demo_dataset(*, dataset: DemoDataset, batch_size: int = 1000, progress: bool = False) -> SeedResult:
    """Store ``dataset`` and create the demo users. Expects a database without demo data."""
    staff = create_staff_users()
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
    create_demo_customer_user(accounts=[accounts_by_number[a.number] for a in holder.accounts[:2]])
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
