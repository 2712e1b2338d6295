"""Field envelope encryption: round trips, tampering, wrong place, rotation, key handling."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from caremesh.kernel.crypto import (
    BlindIndex,
    DecryptionError,
    FieldCipher,
    FieldContext,
    KeyRing,
    KeyringError,
    is_ciphertext,
    kek_from_file,
    new_key_file,
)

SECRET = "unit-test-deployment-secret-0123456789"
SSN = "123-45-6789"
PLACE = FieldContext("Patient", "pat-0001", "identifier[us-ssn]")


def cipher(active: str = "k1", kids: tuple[str, ...] = ("k1",)) -> FieldCipher:
    return FieldCipher(KeyRing.from_secret(SECRET, kids, active=active))


def test_round_trip_and_every_encryption_is_fresh() -> None:
    c = cipher()
    first, second = c.encrypt(SSN, PLACE), c.encrypt(SSN, PLACE)
    assert first != second  # random data key and nonces: equal values do not look equal
    assert SSN not in first and "6789" not in first
    assert is_ciphertext(first) and first.split(".")[:2] == ["cm1", "k1"]
    assert c.decrypt(first, PLACE) == SSN == c.decrypt(second, PLACE)


@pytest.mark.parametrize("part", [2, 3])
def test_any_flipped_bit_is_detected(part: int) -> None:
    c = cipher()
    token = c.encrypt(SSN, PLACE)
    pieces = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(pieces[part] + "=" * (-len(pieces[part]) % 4)))
    raw[-1] ^= 0x01
    pieces[part] = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(DecryptionError):
        c.decrypt(".".join(pieces), PLACE)


@pytest.mark.parametrize(
    "elsewhere",
    [
        FieldContext("Patient", "pat-0002", "identifier[us-ssn]"),  # another patient's record
        FieldContext("Patient", "pat-0001", "identifier[us-dl]"),  # another field of the same one
        FieldContext("Practitioner", "pat-0001", "identifier[us-ssn]"),  # another resource type
    ],
)
def test_a_ciphertext_cannot_be_moved_to_another_place(elsewhere: FieldContext) -> None:
    c = cipher()
    with pytest.raises(DecryptionError):
        c.decrypt(c.encrypt(SSN, PLACE), elsewhere)


def test_swapping_the_data_key_of_two_tokens_fails() -> None:
    c = cipher()
    a, b = c.encrypt(SSN, PLACE).split("."), c.encrypt("987-65-4321", PLACE).split(".")
    with pytest.raises(DecryptionError):
        c.decrypt(".".join([*a[:3], b[3]]), PLACE)


@pytest.mark.parametrize("garbage", ["", "cm1.k1.x", "cm2.k1.AAAA.AAAA", "cm1.k1.!!!.???", SSN])
def test_garbage_is_refused_cleanly(garbage: str) -> None:
    with pytest.raises(DecryptionError):
        cipher().decrypt(garbage, PLACE)


def test_rotation_new_writes_use_the_new_key_old_tokens_still_open_and_rotate() -> None:
    old_token = cipher("k1", ("k1",)).encrypt(SSN, PLACE)
    rotated_ring = cipher("k2", ("k1", "k2"))
    new_token = rotated_ring.encrypt(SSN, PLACE)
    assert new_token.split(".")[1] == "k2"
    assert rotated_ring.decrypt(old_token, PLACE) == SSN
    assert rotated_ring.needs_rotation(old_token) and not rotated_ring.needs_rotation(new_token)

    moved = rotated_ring.rotate(old_token, PLACE)
    assert moved.split(".")[1] == "k2"
    assert moved.split(".")[3] == old_token.split(".")[3]  # only the data key was re-wrapped
    assert rotated_ring.rotate(moved, PLACE) == moved
    after_retirement = cipher("k2", ("k2",))
    assert after_retirement.decrypt(moved, PLACE) == SSN
    with pytest.raises(DecryptionError):
        after_retirement.decrypt(old_token, PLACE)  # k1 retired: unrotated tokens are lost


def test_rotation_refuses_to_carry_a_tampered_token_forward() -> None:
    token = cipher("k1", ("k1",)).encrypt(SSN, PLACE).split(".")
    token[3] = token[3][:-2] + ("AA" if token[3][-2:] != "AA" else "BA")
    with pytest.raises(DecryptionError):
        cipher("k2", ("k1", "k2")).rotate(".".join(token), PLACE)


def test_keys_from_files(tmp_path: Path) -> None:
    new_key_file(tmp_path, "2026-11")
    new_key_file(tmp_path, "2026-12")
    ring = KeyRing.from_directory(tmp_path, active="2026-12")
    assert set(ring.kids) == {"2026-11", "2026-12"}
    assert (tmp_path / "2026-12.key").stat().st_mode & 0o777 == 0o600
    assert FieldCipher(ring).decrypt(FieldCipher(ring).encrypt(SSN, PLACE), PLACE) == SSN
    assert "key=" not in repr(ring.active)
    with pytest.raises(FileExistsError):
        new_key_file(tmp_path, "2026-12")
    (tmp_path / "bad.key").write_text("not base64 !!")
    with pytest.raises(KeyringError):
        kek_from_file(tmp_path / "bad.key")


def test_ring_misconfiguration_is_refused() -> None:
    with pytest.raises(KeyringError):
        KeyRing.from_secret(SECRET, ["k1"], active="k2")
    with pytest.raises(KeyringError):
        KeyRing.from_secret(SECRET, ["bad kid!"], active="bad kid!")
    with pytest.raises(KeyringError):
        KeyRing.from_secret("short", ["k1"], active="k1")


def test_blind_index_matches_spellings_and_separates_kinds_and_keys() -> None:
    index = BlindIndex.from_secret(SECRET)
    assert index.compute("us-ssn", "123-45-6789") == index.compute("us-ssn", "123 45 6789")
    assert index.compute("us-ssn", SSN) != index.compute("us-ssn", "123-45-6788")
    assert index.compute("us-dl", "S123-4567") == index.compute("us-dl", "s1234567")
    assert index.compute("us-ssn", "123456789") != index.compute("us-dl", "123456789")
    assert BlindIndex.from_secret(SECRET + "x").compute("us-ssn", SSN) != index.compute("us-ssn", SSN)
    assert "6789" not in index.compute("us-ssn", SSN)
