"""Weights files: round trips, clear errors for the wrong architecture or a damaged file,
and the model left bit-identical after every failure."""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest

import mmlearn as mm
from mmlearn import fusion, io, layers
from mmlearn.backend import asarray, to_numpy
from mmlearn.models import MultimodalModel, Sequential


def mlp(out=3, hidden=5):
    return Sequential([layers.Dense(hidden, activation="relu", input_shape=(4,)),
                       layers.Dense(out, activation="softmax")])


def same(a, b):
    return len(a) == len(b) and all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))


def test_round_trip_into_a_fresh_copy(tmp_path, backend):
    mm.set_seed(1)
    model = mlp()
    path = tmp_path / "w.npz"
    model.save_weights(str(path))
    mm.set_seed(2)
    copy = mlp()                           # other names (dense_2, ...) and other values
    assert not same(copy.get_weights(), model.get_weights())
    copy.load_weights(str(path))
    assert same(copy.get_weights(), model.get_weights())
    x = asarray(np.random.default_rng(0).standard_normal((3, 4)), dtype="float32")
    np.testing.assert_array_equal(to_numpy(copy.predict(x)), to_numpy(model.predict(x)))
    assert all(type(p) is type(x) for p in copy.params.values())


def test_keys_name_index_layer_and_parameter(tmp_path):
    model = mlp()
    io.save_weights(model, tmp_path / "w.npz")
    with np.load(tmp_path / "w.npz", allow_pickle=False) as f:
        names = [layer.name for layer in model.layers]
        expected = [f"0/{names[0]}/W", f"0/{names[0]}/b", f"1/{names[1]}/W", f"1/{names[1]}/b"]
        assert [k for k in f.files if not k.startswith("__")] == expected
        np.testing.assert_array_equal(f[expected[0]], model.get_weights()[0])


def test_npz_suffix_is_added_and_found(tmp_path):
    model = mlp()
    model.save_weights(str(tmp_path / "weights"))
    assert (tmp_path / "weights.npz").exists()
    other = mlp()
    other.load_weights(str(tmp_path / "weights"))
    assert same(other.get_weights(), model.get_weights())


def test_multimodal_round_trip(tmp_path):
    def build():
        model = MultimodalModel(
            encoders={"img": Sequential([layers.Dense(3, input_shape=(4,))]),
                      "txt": layers.Dense(3)},
            fusion=fusion.Gated(2), head=layers.Dense(2, activation="softmax"))
        model({"img": np.ones((1, 4), np.float32), "txt": np.ones((1, 5), np.float32)})
        return model

    mm.set_seed(0)
    a = build()
    a.save_weights(str(tmp_path / "mm.npz"))
    mm.set_seed(9)
    b = build()
    b.load_weights(str(tmp_path / "mm.npz"))
    assert same(a.get_weights(), b.get_weights())
    with np.load(tmp_path / "mm.npz") as f:
        assert any(k.startswith("encoders/img/0/") for k in f.files)
        assert any(k.startswith("fusion/") and k.endswith("/W_z") for k in f.files)


def test_single_layer_round_trip(tmp_path):
    d = layers.Dense(3, input_shape=(2,))
    io.save_weights(d, tmp_path / "d.npz")
    e = layers.Dense(3, input_shape=(2,))
    io.load_weights(e, tmp_path / "d.npz")
    assert same(d.get_weights(), e.get_weights())


def test_other_architecture_says_which_layer_and_shape_and_changes_nothing(tmp_path):
    mlp(out=3).save_weights(str(tmp_path / "w.npz"))
    model = mlp(out=4)
    before = model.get_weights()
    last = model.layers[1].name
    with pytest.raises(ValueError, match=rf"layer '{last}' parameter 'W' \(1/{last}/W\) has "
                                         r"shape \(5, 4\) in the model but \(5, 3\) in the file"):
        model.load_weights(str(tmp_path / "w.npz"))
    assert same(model.get_weights(), before)

    deeper = Sequential([layers.Dense(5, activation="relu", input_shape=(4,)),
                         layers.Dense(3), layers.Dense(3, activation="softmax")])
    before = deeper.get_weights()
    with pytest.raises(ValueError, match=r"parameter 'W' \(2/.*/W\) is not in the file"):
        deeper.load_weights(str(tmp_path / "w.npz"))
    assert same(deeper.get_weights(), before)

    shallow = Sequential([layers.Dense(5, input_shape=(4,))])
    before = shallow.get_weights()
    with pytest.raises(ValueError, match=r"the file has 2 parameter\(s\) the model lacks"):
        shallow.load_weights(str(tmp_path / "w.npz"))
    assert same(shallow.get_weights(), before)


def damaged_files(tmp_path):
    model = mlp()
    good = tmp_path / "good.npz"
    model.save_weights(str(good))
    data = good.read_bytes()
    files = {}
    files["truncated"] = tmp_path / "truncated.npz"
    files["truncated"].write_bytes(data[: len(data) // 2])
    corrupt = bytearray(data)
    with zipfile.ZipFile(good) as z:                    # flip bytes inside a stored array
        info = z.getinfo(z.namelist()[0])
        start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 130
    corrupt[start:start + 8] = bytes(b ^ 0xFF for b in corrupt[start:start + 8])
    files["corrupt"] = tmp_path / "corrupt.npz"
    files["corrupt"].write_bytes(bytes(corrupt))
    files["text"] = tmp_path / "notes.npz"
    files["text"].write_text("these are not weights\n")
    files["npy"] = tmp_path / "array.npy"
    np.save(files["npy"], np.ones(3))
    files["pickle"] = tmp_path / "objects.npz"
    np.savez(files["pickle"], **{"0/dense/W": np.array([{"a": 1}], dtype=object)})
    files["empty"] = tmp_path / "empty.npz"
    files["empty"].write_bytes(b"")
    return files


@pytest.mark.parametrize("kind", ["truncated", "corrupt", "text", "npy", "pickle", "empty"])
def test_damaged_or_foreign_files_raise_value_error_and_change_nothing(tmp_path, kind):
    path = damaged_files(tmp_path)[kind]
    model = mlp()
    before = model.get_weights()
    with pytest.raises(ValueError, match="load_weights") as err:
        model.load_weights(str(path))
    assert str(path) in str(err.value) or kind == "pickle"
    assert same(model.get_weights(), before)


def test_pickled_objects_are_refused(tmp_path):
    """allow_pickle=False: an object array in the file is an error, never unpickled."""
    path = damaged_files(tmp_path)["pickle"]
    with pytest.raises(ValueError, match="allow_pickle=False|Object arrays"):
        mlp().load_weights(str(path))


def test_missing_file_and_unbuilt_model(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        mlp().load_weights(str(tmp_path / "nope.npz"))
    lazy = Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="no weights yet"):
        lazy.save_weights(str(tmp_path / "lazy.npz"))
    mlp().save_weights(str(tmp_path / "w.npz"))
    with pytest.raises(ValueError, match="no weights yet"):
        lazy.load_weights(str(tmp_path / "w.npz"))
    with pytest.raises(TypeError, match="path"):
        io.save_weights(mlp(), 42)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        mlp().save_weights(str(tmp_path / "no" / "such" / "dir.npz"))


def test_failed_save_keeps_the_previous_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "w.npz"
    first = mlp()
    first.save_weights(str(path))
    original = path.read_bytes()

    def broken(fh, **arrays):
        fh.write(b"PK partial")
        raise OSError("disk full")

    monkeypatch.setattr(io.np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        mlp().save_weights(str(path))
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["w.npz"]
    monkeypatch.undo()
    second = mlp()
    second.load_weights(str(path))
    assert same(second.get_weights(), first.get_weights())
