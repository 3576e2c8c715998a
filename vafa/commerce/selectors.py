from vafa.ledger.selectors import PointsSummary, member_points
from vafa.program.selectors import earn_policy


def member_points_with_value(*, member_id: int) -> tuple[PointsSummary, int]:
    """The member's points and the value of what is available, in Rials."""
    summary = member_points(member_id=member_id)
    return summary, max(summary.available, 0) * earn_policy().point_value_rial
