"""``mm.neuron``: the seed's single neuron and the Perceptron (in ``mmlearn.nn.neuron``)."""

from mmlearn.nn.neuron import Neuron, Perceptron

__all__ = ["Neuron", "Perceptron"]
