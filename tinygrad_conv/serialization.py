"""tc.save / tc.load: state dicts (a model's, an optimizer's, a scheduler's, or a dict of them, as
a checkpoint holds) to a NumPy .npz file and back, as torch.save / torch.load are used for them.
Never pickle: the file holds arrays and one JSON text.

The encoding. Every array is one member of the .npz, named by its path in the nested structure:
the keys from the top joined by "/" ("model/0.weight", "optimizer/state/0/exp_avg"), a "/" or "%"
inside a key written as %2F or %25. So a model's state dict saved alone has members named as its
keys ("0.weight"), and np.load reads it. The member "__tinygrad_conv__" holds the structure as JSON:
dicts as {"dict": [[key, value], ...]} (keys keep their type: int or str), lists and tuples as
{"list": [...]} / {"tuple": [...]}, an array as {"array": member}, a NumPy scalar as
{"scalar": value, "dtype": name}; None, bools, ints, floats (inf and NaN too) and strings as
themselves. tc.load of a plain .npz (np.savez, Module.save) gives a dict of its arrays."""

from __future__ import annotations

import json
import numbers
import os
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from .autograd import is_tensor

META = "__tinygrad_conv__"
FORMAT = 1


def _escape(key: Any) -> str:
    return str(key).replace("%", "%25").replace("/", "%2F")


def _encode(value: Any, path: tuple[str, ...], arrays: dict[str, np.ndarray]) -> Any:
    where = "/".join(path) or "the top level"
    if is_tensor(value):
        value = value.data
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(
                f"save: the array at {where} has dtype {value.dtype}; only bool, "
                f"int and float arrays can be saved"
            )
        name = "/".join(path) or "array"
        base, n = name, 1
        while name in arrays or name == META:
            n += 1
            name = f"{base}~{n}"
        arrays[name] = value
        return {"array": name}
    if isinstance(value, np.generic):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"save: the value at {where} has dtype {value.dtype}")
        return {"scalar": value.item(), "dtype": value.dtype.name}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, Mapping):
        items = []
        for key, item in value.items():
            if isinstance(key, np.integer):
                key = int(key)
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"save: dict keys must be str or int, got {key!r} at {where}")
            items.append([key, _encode(item, path + (_escape(key),), arrays)])
        return {"dict": items}
    if isinstance(value, (list, tuple)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {kind: [_encode(v, path + (str(i),), arrays) for i, v in enumerate(value)]}
    raise TypeError(
        f"save: can't save a {type(value).__name__} (at {where}); a state dict holds "
        f"arrays, numbers, strings, None and dicts/lists/tuples of them"
    )


def save(obj: Any, f: str | os.PathLike) -> None:
    """Write `obj` (a state dict, or nested dicts/lists of arrays and plain values) to the file f,
    exactly that name (no .npz added). The file is written beside and then moved into place, so
    an interrupted save leaves the old file whole."""
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"save: f must be a file path, got {type(f).__name__}")
    arrays: dict[str, np.ndarray] = {}
    structure = _encode(obj, (), arrays)
    meta = json.dumps({"format": FORMAT, "object": structure})
    path = os.fspath(f)
    temporary = f"{path}.partial"
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_STORED) as archive:
            for member, array in ((META, np.array(meta)), *arrays.items()):
                with archive.open(member + ".npy", "w", force_zip64=True) as out:
                    np.lib.format.write_array(out, np.asarray(array), allow_pickle=False)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _decode(value: Any, members: Mapping[str, np.ndarray], name: str) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict) and len(value) in (1, 2):
        if "dict" in value:
            out = {}
            for pair in value["dict"]:
                key, item = pair
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    raise ValueError(f"load: {name} has a bad key {key!r}")
                out[key] = _decode(item, members, name)
            return out
        if "list" in value:
            return [_decode(v, members, name) for v in value["list"]]
        if "tuple" in value:
            return tuple(_decode(v, members, name) for v in value["tuple"])
        if "array" in value:
            member = value["array"]
            if member not in members:
                raise ValueError(f"load: {name} lists an array {member!r} that it does not hold")
            return members[member]
        if "scalar" in value and "dtype" in value:
            try:
                return np.dtype(value["dtype"]).type(value["scalar"])
            except TypeError as err:
                raise ValueError(f"load: {name} has a bad scalar {value!r}") from err
    raise ValueError(f"load: {name} has an entry this reader does not know: {str(value)[:80]}")


def load(
    f: str | os.PathLike, map_location: Any = None, weights_only: bool = True, **kwargs: Any
) -> Any:
    """Read what save() wrote (or any .npz of plain arrays, as a dict). map_location and
    weights_only are accepted as torch.load's are; nothing here ever unpickles."""
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"load: f must be a file path, got {type(f).__name__}")
    name = repr(os.fspath(f))
    if not os.path.isfile(f):
        raise FileNotFoundError(f"load: no such file: {name}")
    try:
        with np.load(f, allow_pickle=False) as npz:
            members = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise ValueError(f"load: {name} is not a readable .npz file ({err})") from err
    if META not in members:
        return members
    try:
        record = members.pop(META)
        if record.dtype.kind != "U" or record.shape != ():
            raise TypeError(f"a {record.dtype} array of shape {record.shape}")
        meta = json.loads(record.item())
    except (json.JSONDecodeError, TypeError) as err:
        raise ValueError(f"load: {name} has a damaged structure record ({err})") from err
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or "object" not in meta:
        raise ValueError(f"load: {name} was written in a format this version does not read")
    return _decode(meta["object"], members, name)
