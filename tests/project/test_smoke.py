import pytest

from tests.factories import make_account


@pytest.mark.django_db
def test_account_premise_address_round_trips_through_encryption():
    account = make_account(premise_address="浙江省杭州市上城区解放路1号")
    from customers.models import Account

    assert Account.objects.get(pk=account.pk).premise_address == "浙江省杭州市上城区解放路1号"
