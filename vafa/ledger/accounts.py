"""System accounts and member accounts: opening and finding them."""

from vafa.core import sql
from vafa.core.idcache import CommittedIdCache
from vafa.ledger.models import Account

# Account ids never change once created, so each process remembers them: a purchase
# then needs no query to find its merchant's `issued` account.
_system_ids = CommittedIdCache()


def system_account_code(role: str, merchant_id: int | None = None) -> str:
    return f"{role}:{merchant_id}" if merchant_id is not None else role


def system_account_id(role: str, merchant_id: int | None = None) -> int:
    code = system_account_code(role, merchant_id)
    account_id = _system_ids.get(code)
    if account_id is None:
        account, _ = Account.objects.get_or_create(code=code, defaults={"role": role, "merchant_id": merchant_id})
        account_id = account.id
        _system_ids.remember(code, account_id)
    return account_id


def open_member_account(event) -> Account:
    """Handler of MemberJoined: every member has an account from the moment they join."""
    return Account.objects.create(code=f"member:{event.member_id}", role=Account.Role.MEMBER,
                                  member_id=event.member_id)


def open_member_accounts(event) -> None:
    """Handler of MembersImported: the accounts of members joined many at a time, in one statement."""
    sql.insert_many(Account, ["code", "role", "member_id", "merchant_id", "balance", "deficit"],
                    [[f"member:{member_id}", Account.Role.MEMBER, member_id, None, 0, 0]
                     for member_id in event.member_ids])


def open_merchant_accounts(event) -> None:
    """Handler of MerchantCreated: the accounts its points are issued from and spent to."""
    for role in (Account.Role.ISSUED, Account.Role.REDEEMED):
        system_account_id(role, event.merchant_id)
