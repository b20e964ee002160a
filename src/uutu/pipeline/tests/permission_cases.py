"""The pipeline's URLs in the permission matrix: the Hội side and the party side."""

from .permission_cases_hoi import CASES as HOI_CASES
from .permission_cases_party import CASES as PARTY_CASES

CASES = [*HOI_CASES, *PARTY_CASES]
