"""Matplotlib plots: an `EquilibriumSolution` (potential, concentrations, band diagram) and an
`ImpedanceSpectrum` (Nyquist and Bode).

Each function draws on `ax` (a new figure when omitted) and returns the axes. Positions are
shown in nm, measured from the first interface when there is one.
"""

import numpy as np


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 4))
    return ax


def _x_nm(solution, origin):
    x = np.asarray(solution.x)
    if origin is None:
        interfaces = np.asarray(solution.interface_potential)
        origin = 0.0
        if interfaces.size:
            phase = np.asarray(solution.phase)
            origin = x[np.argmax(phase > 0)]
    return (x - origin) * 1e9


def _shade_phases(ax, solution, x_nm, xlim=None):
    """Tint each phase and name it above the axes, at the middle of its visible part."""
    phase = np.asarray(solution.phase)
    lo, hi = (x_nm.min(), x_nm.max()) if xlim is None else xlim
    for p, name in enumerate(solution.phase_names):
        inside = x_nm[phase == p]
        if not inside.size:
            continue
        ax.axvspan(inside.min(), inside.max(), color=f"C{p}", alpha=0.06, lw=0)
        left, right = max(inside.min(), lo), min(inside.max(), hi)
        if left < right:
            ax.text(
                (left + right) / 2,
                1.01,
                name,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=8,
            )


def _finish(ax, solution, x_nm, xlim, ylabel, legend):
    _shade_phases(ax, solution, x_nm, xlim)
    ax.set_xlabel("position (nm)")
    ax.set_ylabel(ylabel)
    if legend:
        ax.legend(fontsize=8)
    if xlim is not None:
        ax.set_xlim(*xlim)
    return ax


def potential(solution, ax=None, *, origin=None, xlim=None):
    """Electrostatic potential φ (V) against position (nm)."""
    ax = _axes(ax)
    x = _x_nm(solution, origin)
    ax.plot(x, np.asarray(solution.phi), color="k")
    return _finish(ax, solution, x, xlim, "potential φ (V)", legend=False)


def concentrations(solution, ax=None, *, species=None, origin=None, xlim=None):
    """Concentrations (m^-3, log axis) of the mobile and frozen species against position (nm)."""
    ax = _axes(ax)
    x = _x_nm(solution, origin)
    names = solution.species if species is None else species
    for i, name in enumerate(solution.species):
        if name not in names:
            continue
        c = np.asarray(solution.concentration[i])
        c = np.where(c > 0, c, np.nan)
        if np.any(np.isfinite(c)):
            ax.semilogy(x, c, label=name, color=f"C{i}")
    return _finish(ax, solution, x, xlim, "concentration (m$^{-3}$)", legend=True)


def band_diagram(solution, ax=None, *, origin=None, xlim=None):
    """Band edges E_C, E_V and the Fermi level E_F (eV) against position (nm)."""
    ax = _axes(ax)
    x = _x_nm(solution, origin)
    for values, label, style in (
        (solution.E_C, "$E_C$", "C0-"),
        (solution.E_V, "$E_V$", "C3-"),
        (solution.fermi_level, "$E_F$", "k--"),
    ):
        values = np.asarray(values)
        if np.any(np.isfinite(values)):
            ax.plot(x, values, style, label=label)
    return _finish(ax, solution, x, xlim, "energy (eV)", legend=True)


def overview(solution, path=None, *, origin=None, xlim=None, title=None):
    """Potential, concentrations and (when electrons/holes exist) the band diagram in one figure;
    saved to `path` (PNG, PDF, ...) when given. Returns the figure."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    bands = np.any(np.isfinite(np.asarray(solution.E_C))) or np.any(
        np.isfinite(np.asarray(solution.E_V))
    )
    n = 3 if bands else 2
    fig, axes = plt.subplots(n, 1, figsize=(7, 2.8 * n), sharex=True)
    potential(solution, axes[0], origin=origin, xlim=xlim)
    concentrations(solution, axes[1], origin=origin, xlim=xlim)
    if bands:
        band_diagram(solution, axes[2], origin=origin, xlim=xlim)
    for ax in axes[:-1]:
        ax.set_xlabel("")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=150)
    return fig


def brouwer(result, x=None, **kwargs):
    """Brouwer diagram of a `pnpjax.brouwer(...)` result: log10 concentrations (m^-3) against
    log10 of the varied activity (or the chemical potential, eV); see
    `pnpjax._thermo.brouwer.brouwer_plot` for the options. Returns the axes."""
    from ._thermo.brouwer import brouwer_plot

    return brouwer_plot(result, x, **kwargs)


def _area_scaled(spectrum, area):
    z = np.asarray(spectrum.impedance)
    if area is None:
        return z, "Ω m²"
    if not area > 0:
        raise ValueError(f"plot: area must be > 0 (m²), got {area!r}")
    return z / area, "Ω"


def nyquist(spectrum, ax=None, *, area=None, label=None, marker_decades=True):
    """Nyquist plot of an `ImpedanceSpectrum`: −Im Z against Re Z on equal axes.

    Impedances are per area (Ω m²) unless `area` (m²) is given (then Ω). With
    `marker_decades`, the points nearest to each whole decade of frequency are marked and
    labelled (where labels would not overlap). The axes keep equal scales (`set_xlim` and
    `set_ylim` zoom). Returns the axes.
    """
    ax = _axes(ax)
    z, unit = _area_scaled(spectrum, area)
    line = ax.plot(z.real, -z.imag, "-", label=label)[0]
    if marker_decades:
        f = np.asarray(spectrum.frequency)
        decades = np.arange(np.ceil(np.log10(f.min())), np.floor(np.log10(f.max())) + 1)
        # label a decade only where it stands clear of the last labelled one (2% of the span)
        span = max(np.ptp(z.real), np.ptp(z.imag), np.finfo(float).tiny)
        last = None
        for d in decades:
            i = int(np.argmin(np.abs(np.log10(f) - d)))
            if abs(np.log10(f[i]) - d) >= 0.05:
                continue
            point = np.array([z.real[i], -z.imag[i]])
            ax.plot(*point, "o", ms=3, color=line.get_color())
            if last is None or np.hypot(*(point - last)) > 0.02 * span:
                ax.annotate(
                    f"$10^{{{int(d)}}}$ Hz",
                    tuple(point),
                    fontsize=7,
                    xytext=(3, 3),
                    textcoords="offset points",
                )
                last = point
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(f"Re Z ({unit})")
    ax.set_ylabel(f"−Im Z ({unit})")
    if label is not None:
        ax.legend(fontsize=8)
    return ax


def bode(spectrum, axes=None, *, area=None, label=None):
    """Bode plot of an `ImpedanceSpectrum`: |Z| (log) and its phase (degrees) against frequency
    (Hz, log), on two stacked axes (a new figure when `axes` is omitted). Returns the axes."""
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(2, 1, figsize=(6, 5), sharex=True)
    z, unit = _area_scaled(spectrum, area)
    f = np.asarray(spectrum.frequency)
    axes[0].loglog(f, np.abs(z), label=label)
    axes[1].semilogx(f, np.degrees(np.angle(z)), label=label)
    axes[0].set_ylabel(f"|Z| ({unit})")
    axes[1].set_ylabel("phase (°)")
    axes[1].set_xlabel("frequency (Hz)")
    if label is not None:
        axes[0].legend(fontsize=8)
    return axes
