"""The service's real parts, loaded on first use: the trust store and the face models.

The API starts and answers ``/v1/health`` even when one is missing, and says
which in a 503 rather than pretending. In demo mode (the simulator reader and
no trust store configured) the store trusts the simulator's test CSCA, from
``edge.demo``, imported only then.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from dataclasses import replace
from typing import Any

from edge.api.errors import Unavailable
from edge.config import Config


def _available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


class Components:
    def __init__(self, config: Config, *, trust_store: Any = None, face_models: Any = None):
        self.config = config
        self._trust_store = trust_store
        self._face_models = face_models
        self._lock = threading.Lock()
        self._installed: dict[str, bool] | None = None
        # A face model that failed to load stays failed until restart: /v1/health stays cheap
        # and every verification that needs a face gives the same reason.
        self._face_error: str | None = None
        self._face_files: dict[str, Any] | None = None

    def trust_store(self) -> Any:
        with self._lock:
            if self._trust_store is None:
                self._trust_store = self._open_trust_store()
            return self._trust_store

    def use_trust_store(self, path: str) -> None:
        """Switch to another trust-store file (a fleet bundle swapped in atomically): the next
        verification opens it; one running now keeps the store it has."""
        with self._lock:
            self.config = replace(self.config, trust_store=path)
            self._trust_store = None

    def _open_trust_store(self) -> Any:
        try:
            from crypto.truststore import TrustStore

            if self.config.reader == "simulator" and not self.config.trust_store:
                from edge.demo import demo_trust_store  # demo mode only

                store = demo_trust_store(TrustStore)
            else:
                store = TrustStore.open(self.config.trust_store or None)
            for path in self.config.trust_files:
                store.import_path(path)
        except ImportError:
            raise Unavailable("The verifier (crypto.truststore) is not installed.") from None
        except Exception as exc:
            raise Unavailable(
                getattr(exc, "message", None) or "The trust store could not be opened."
            ) from None
        return store

    def face_models(self) -> Any:
        with self._lock:
            if self._face_models is None and self._face_error:
                raise Unavailable(self._face_error)
            if self._face_models is None:
                try:
                    from edge.face import FaceModels

                    self._face_models = FaceModels.shared(
                        model=self.config.face_model or None, threads=self.config.face_threads
                    )
                except ImportError:
                    self._face_error = "The face matcher (edge.face) is not installed."
                    raise Unavailable(self._face_error) from None
                except Exception as exc:
                    self._face_error = (
                        getattr(exc, "message", None) or "The face models could not be loaded."
                    )
                    raise Unavailable(self._face_error) from None
            return self._face_models

    def face_status(self) -> dict[str, Any]:
        """The face component for /v1/health: the model in use, or why there is none.

        Never loads the models (that takes a second): a loaded model or a failed load is
        reported as it is; before either, the files are checked once (presence, digests).
        """
        with self._lock:
            models, error = self._face_models, self._face_error
            if models is not None:
                return {
                    "available": True,
                    "model": getattr(models, "model", None),
                    "model_version": getattr(models, "model_version", None),
                    "threshold": getattr(models, "threshold", None),
                }
            if error:
                return {"available": False, "reason": error}
            if self._face_files is None:
                try:
                    from edge.face.models import describe

                    self._face_files = describe(self.config.face_model or None)
                except ImportError:
                    self._face_files = {
                        "available": False,
                        "reason": "The face matcher (edge.face) is not installed.",
                    }
            return dict(self._face_files)

    def installed(self) -> dict[str, bool]:
        """Which real parts are installed; looked up once (find_spec imports parent packages)."""
        if self._installed is None:
            self._installed = {
                "reader": _available("cardreader.reader"),
                "verifier": _available("edge.pipeline"),
                "face": _available("edge.face.matcher"),
            }
        return self._installed

    @staticmethod
    def require(*modules: str) -> None:
        """503 now, rather than a session that fails later, when a real part is not installed."""
        for module in modules:
            try:
                importlib.import_module(module)
            except ImportError:
                raise Unavailable(
                    f"A component of the service is not installed ({module})."
                ) from None
