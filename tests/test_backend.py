import numpy as np
import pytest

import mmlearn as mm
from mmlearn.backend import array_namespace, asarray, rng, to_numpy


def test_unknown_backend_names_choices_and_suggests():
    with pytest.raises(ValueError, match=r"did you mean 'numpy'"):
        mm.set_backend("nmupy")
    assert mm.get_backend() == "numpy"


def test_cupy_without_gpu_is_a_clear_error_and_keeps_backend(no_gpu):
    with pytest.raises(RuntimeError, match="cupy"):
        mm.set_backend("cupy")
    assert mm.get_backend() == "numpy"


def test_seed_gives_same_draws():
    mm.set_seed(3)
    a = rng().standard_normal(5)
    mm.set_seed(3)
    assert np.array_equal(a, rng().standard_normal(5))


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_bad_seed(bad):
    with pytest.raises(ValueError, match="seed"):
        mm.set_seed(bad)


def test_round_trip_on_each_backend(backend):
    x = asarray(np.arange(6.0).reshape(2, 3), dtype="float32")
    assert array_namespace(x) is backend or mm.get_backend() == "numpy"
    back = to_numpy(x)
    assert isinstance(back, np.ndarray) and back.dtype == np.float32
    assert np.array_equal(back, np.arange(6.0).reshape(2, 3))
