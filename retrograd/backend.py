"""The array module behind every Tensor: one small seam between retrograd and NumPy.

Everything in retrograd that touches array math imports ``xp`` from here, so that a GPU array
library with NumPy's interface (CuPy) can later be plugged in at this one place.
"""
import numpy

xp = numpy
ndarray = numpy.ndarray
