"""Cryptography of the examination service: vendor keys, campaign key custody, paper commitments, sealed sheets."""

from services.examination.sealing.commitments import check_commitment, check_reveal, commitment_of
from services.examination.sealing.keys import VendorKeys, keygen, parse_verify_key
from services.examination.sealing.shares import (
    CampaignKey,
    UnsealQuorum,
    check_officer_share,
    combine,
    new_campaign_key,
    share_hash,
    split_key,
)
from services.examination.sealing.sheets import (
    OpenedSheet,
    ReceivedSheet,
    SheetProblem,
    Unsealing,
    check_examiner,
    new_nonce,
    open_sheets,
    vendor_of,
    body_size,
    seal_sheet,
    seal_sheets,
    sign_sheet,
    signed_message,
    verify_receipt,
)

__all__ = [
    "CampaignKey",
    "OpenedSheet",
    "ReceivedSheet",
    "SheetProblem",
    "Unsealing",
    "UnsealQuorum",
    "VendorKeys",
    "check_commitment",
    "check_officer_share",
    "check_reveal",
    "combine",
    "commitment_of",
    "keygen",
    "new_campaign_key",
    "open_sheets",
    "parse_verify_key",
    "seal_sheet",
    "share_hash",
    "sign_sheet",
    "signed_message",
    "split_key",
    "verify_receipt",
    "seal_sheets",
    "body_size",
    "check_examiner",
    "new_nonce",
    "vendor_of",
]
