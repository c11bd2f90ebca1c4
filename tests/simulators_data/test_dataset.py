import io

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from PIL import Image

from simulators.carddata import FID_CARD_ACCESS, FID_COM, FID_SOD, CardDataSet, fid_of_dg
from simulators.citizens import citizen
from simulators.dataset import DataSetError, build_dataset
from simulators.lds.security_infos import pace_oid
from simulators.portrait import PortraitError, draw_face, portrait_from_photo, synthetic_portrait

from .keyhelp import strip_tlv


def test_a_data_set_has_every_cccd_file_and_the_access_data():
    ds = build_dataset(0)
    assert isinstance(ds, CardDataSet)
    assert set(ds.files) == {
        FID_CARD_ACCESS,
        FID_COM,
        FID_SOD,
        *(fid_of_dg(n) for n in (1, 2, 13, 14, 15)),
    }
    assert fid_of_dg(13) == 0x010D
    assert (
        ds.id_number == "001093047064" and ds.can == "047064" and ds.document_number == "093047064"
    )
    assert (ds.birth_date, ds.expiry_date) == ("930105", "330105")
    assert ds.mrz_lines == citizen(0).mrz_lines() and ds.citizen is citizen(0)
    assert isinstance(ds.ca_private_key, ec.EllipticCurvePrivateKey) and ds.ca_key_id == 1
    assert isinstance(ds.aa_private_key, rsa.RSAPrivateKey)
    assert ds.unreadable_dgs == {3: 0x6982, 4: 0x6982}


def test_each_citizen_gets_its_own_keys():
    a, b = build_dataset(0), build_dataset(1)
    assert a.ca_private_key.private_numbers() != b.ca_private_key.private_numbers()
    assert a.aa_private_key.private_numbers() != b.aa_private_key.private_numbers()
    assert build_dataset(9).id_number == build_dataset(0).id_number  # wraps


def test_no_expiry_citizen_prints_a_far_date():
    ds = build_dataset(3)
    assert ds.expiry_date == "991231" and ds.mrz_lines[1][8:14] == "991231"


def test_options_reach_the_files():
    ds = build_dataset(
        0,
        pace=[(pace_oid("ECDH-IM", "AES-CBC-CMAC-256"), 16)],
        ca_curve="secp256r1",
        ca_key_id=None,
    )
    assert isinstance(ds.ca_private_key.curve, ec.SECP256R1) and ds.ca_key_id is None
    assert (
        bytes.fromhex("060A04007F00070202040404") + b"\x02\x01\x02\x02\x01\x10"
        in ds.files[FID_CARD_ACCESS]
    )
    with pytest.raises(DataSetError):
        build_dataset(0, photo_format="png")
    with pytest.raises(DataSetError):
        build_dataset(0, aa_key="dsa")


@pytest.mark.parametrize("fmt", ["jpeg", "jp2"])
def test_photo_from_the_shared_faces(shared_dir, fmt):
    photo_path = sorted((shared_dir / "faces" / "johns" / "John_Simm").glob("*.jpg"))[0]
    photo = photo_path.read_bytes()
    chip = portrait_from_photo(photo, fmt)
    with Image.open(io.BytesIO(chip)) as img:
        assert img.size == (240, 320) and img.format == ("JPEG" if fmt == "jpeg" else "JPEG2000")
    ds = build_dataset(4, photo=photo, photo_format=fmt)
    assert ds.files[fid_of_dg(2)].endswith(chip)
    assert chip != synthetic_portrait(citizen(4).id_number, fmt)


def test_synthetic_portraits_are_deterministic_and_distinct():
    a = synthetic_portrait("seed-a")
    assert a == synthetic_portrait("seed-a") and a != synthetic_portrait("seed-b")
    assert 10_000 <= len(a) <= 20_000
    img = draw_face("seed-a", female=True)
    assert img.size == (240, 320)
    # a face: the centre of the image differs from the plain background in the corner
    assert img.getpixel((120, 140)) != img.getpixel((3, 3))
    with pytest.raises(PortraitError):
        portrait_from_photo(b"not an image")


def test_dg2_carries_the_synthetic_portrait():
    ds = build_dataset(2)
    image = synthetic_portrait(citizen(2).id_number, female=True)
    assert strip_tlv(ds.files[fid_of_dg(2)], b"\x75").endswith(image)


def test_a_card_without_expiry_can_print_fillers():
    from simulators.lds.mrz import check_digit

    ds = build_dataset(3, mrz_expiry="<<<<<<")
    line2 = ds.mrz_lines[1]
    assert ds.expiry_date == "<<<<<<" and line2[8:15] == "<<<<<<0"
    assert line2[29] == check_digit(ds.mrz_lines[0][5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    with pytest.raises(DataSetError):
        build_dataset(3, mrz_expiry="2031")


def test_the_sod_may_list_an_unreadable_dg3():
    from simulators.dataset import sod_content
    from simulators.lds.cms import LDSSecurityObject

    ds = build_dataset(0, sod_dgs=[1, 2, 3, 13, 14, 15])
    lso = LDSSecurityObject.load(sod_content(ds))
    assert [h["data_group_number"].native for h in lso["data_group_hash_values"]] == [
        1,
        2,
        3,
        13,
        14,
        15,
    ]
    assert fid_of_dg(3) not in ds.files and ds.unreadable_dgs[3] == 0x6982


@pytest.mark.parametrize(
    "options",
    [
        {"signer": "dsa"},
        {"ca_curve": "curve25519"},
        {"sod_hash": "md5"},
        {"photo": b"\x00garbage"},
        {"aa_bits": 1000},
        {"pace": [("0.4.0.127.0.7.2.2.4.2.2", 4)]},
    ],
)
def test_bad_options_raise_one_typed_error(options):
    with pytest.raises(DataSetError, match="could not be built"):
        build_dataset(0, **options)
