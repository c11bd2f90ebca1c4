"""``POST /v1/documents/verify``: stateless verification of uploaded raw files.

multipart/form-data with one part per file (``EF_SOD``, ``EF_COM``, ``DG1`` …
``DG16``, optional ``DSC``), or JSON ``{"files": {"EF_SOD": base64, ...}}``.
The answer is the same signed, minimised result as a card verification.
"""

from __future__ import annotations

import base64
import binascii
import re

from flask import Blueprint, current_app, jsonify, request

from edge.api.auth import relying_party
from edge.api.errors import InvalidRequest, UnsupportedMediaType
from edge.api.validation import validate_body
from edge.api.verifications import json_body

bp = Blueprint("documents", __name__, url_prefix="/v1")

_NAME = re.compile(r"^(EF[._](SOD|COM|CardAccess|CardSecurity)|DG([1-9]|1[0-6])|DSC)$")


def _canonical(name: str) -> str:
    # 'EF_SOD' (a form field cannot hold a dot in some clients) -> 'EF.SOD', as ReadResult names it.
    return name.replace("_", ".", 1) if name.startswith("EF_") else name


def _plain_upload(body) -> bool:
    """True when ``body`` is certainly valid DocumentUpload (files + optional nonce, the common
    case): this hot path then skips the general schema walk (~0.2 ms of a ~4.5 ms request).
    Anything else (a record, an odd field, a wrong type) goes through the schema itself."""
    if type(body) is not dict or "files" not in body or not set(body) <= {"files", "nonce"}:
        return False
    files, nonce = body["files"], body.get("nonce", "")
    if type(files) is not dict or not 1 <= len(files) <= 20:
        return False
    if "nonce" in body and (type(nonce) is not str or not 1 <= len(nonce) <= 256):
        return False
    return all(type(v) is str and _NAME.fullmatch(k) for k, v in files.items())


def _files_from_request() -> tuple[dict[str, bytes], str | None, dict | None]:
    if request.mimetype == "multipart/form-data":
        files: dict[str, bytes] = {}
        for name, storage in request.files.items(multi=True):
            if not _NAME.match(name):
                raise InvalidRequest(
                    f"Unknown file part {name!r}: use EF_SOD, EF_COM, DG1 … DG16 or DSC."
                )
            files[_canonical(name)] = storage.read()
        nonce = request.form.get("nonce") or None
        if nonce is not None and len(nonce) > 256:
            raise InvalidRequest("nonce is longer than 256 characters.")
        return files, nonce, None
    if request.mimetype == "application/json":
        body = json_body()
        if not _plain_upload(body):
            body = validate_body("DocumentUpload", body)  # the schema judges, and says why
        files = {}
        for name, text in body["files"].items():
            try:
                files[_canonical(name)] = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                raise InvalidRequest(f"File {name} is not valid base64.") from None
        return files, body.get("nonce"), body.get("record")
    raise UnsupportedMediaType("Upload files as multipart/form-data or application/json.")


@bp.post("/documents/verify")
def verify_documents():
    rp = relying_party()
    files, nonce, record = _files_from_request()
    if "EF.SOD" not in files:
        raise InvalidRequest("EF_SOD is required: without it nothing can be verified.")
    if not any(n.startswith("DG") for n in files):
        raise InvalidRequest("Upload at least one data group (DG1 …).")
    body = current_app.extensions["cccd_edge"].verify_files(rp, files, nonce, record)
    return jsonify(body)
