"""Helpers of the integration tests: recorded payloads and connections."""

from __future__ import annotations

from pathlib import Path

from defusedxml import ElementTree

FIXTURES = Path(__file__).parent / "fixtures"
SALESFORCE_ORG_ID = "00D7Q000004JkLmUAK"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def xml_shape(text: bytes | str) -> list[tuple[str, str]]:
    """Every element's tag and text, in document order: what a SOAP peer reads."""
    return [(element.tag, (element.text or "").strip()) for element in ElementTree.fromstring(text).iter()]
