"""Inverse problems: fit model parameters to measured profiles, spectra and currents."""
