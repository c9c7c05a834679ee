import pytest

from spikead import snn


@pytest.mark.parametrize(
    "name,cls",
    [
        ("li", snn.LI),
        ("lif", snn.LIF),
        ("iaf", snn.IAF),
        ("cuba_lif", snn.CuBaLIF),
        ("alif", snn.ALIF),
        ("adlif", snn.AdLIF),
        ("sigma_delta", snn.SigmaDelta),
    ],
)
def test_neuron_from_name(name, cls):
    neuron = snn.neuron_from_name(name, shape=(4,))
    assert type(neuron) is cls and neuron.shape == (4,)


def test_neuron_from_name_passes_kwargs():
    lif = snn.neuron_from_name("lif", shape=(2,), beta=0.7, reset="subtract")
    assert lif.reset == "subtract" and float(lif.beta[0]) == pytest.approx(0.7)


def test_unknown_neuron_lists_known_names():
    with pytest.raises(snn.UnknownNameError, match="'lfi'.*adlif, alif, cuba_lif"):
        snn.neuron_from_name("lfi", shape=(2,))
