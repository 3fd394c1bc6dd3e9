"""Every state change of data protection, for other apps and for the views.

The work is in the modules named by topic; this is the one place to import from.
"""

from comptoir.privacy.audit import SYSTEM, Actor, record_action, record_view
from comptoir.privacy.duplicates import dismiss_duplicate
from comptoir.privacy.erasure import ErasureError, erase_customer
from comptoir.privacy.export import export_customer
from comptoir.privacy.merging import MergeError, merge_customers, undo_merge
from comptoir.privacy.retention import apply_retention_rules

__all__ = [
    "SYSTEM",
    "Actor",
    "ErasureError",
    "MergeError",
    "apply_retention_rules",
    "dismiss_duplicate",
    "erase_customer",
    "export_customer",
    "merge_customers",
    "record_action",
    "record_view",
    "undo_merge",
]
