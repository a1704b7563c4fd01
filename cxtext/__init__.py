"""cxtext: turns raw customer feedback into answers a CX team can act on."""

__version__ = "0.1.0"
