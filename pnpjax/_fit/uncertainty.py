"""Uncertainty of fitted parameters from the Fisher information, and identifiability.

For Gaussian noise and a model linear near the optimum, the covariance of the estimates is the
inverse Fisher (Gauss–Newton) matrix $C = (J^TJ)^{-1}$, with $J_{kj} = \\partial r_k/\\partial
\\theta_j$ the Jacobian of the weighted residuals in the physical parameters (here by
forward-mode implicit differentiation through the solvers). When the noise level was not given
it is estimated from the scatter: $C \\to C\\,\\chi^2/(n-p)$.

A parameter combination the data do not constrain shows as a near-zero eigenvalue of the
Fisher matrix scaled to unit diagonal ($\\tilde F = DFD$, $D = \\mathrm{diag}(F)^{-1/2}$,
eigenvalues between 0 and p): its eigenvector names the parameters involved. Their variances
are then reported as infinite rather than as the round-off of an ill-conditioned inverse.

**Reference:** Y. Bard, *Nonlinear Parameter Estimation*, Academic Press (1974), ch. 7;
R. N. Gutenkunst et al., *PLoS Comput. Biol.* 3, e189 (2007),
doi:10.1371/journal.pcbi.0030189 (sloppy and non-identifiable parameter combinations).
"""

import numpy as np


class NonIdentifiableWarning(UserWarning):
    """The data do not determine some combination of the fitted parameters."""


def covariance(jacobian, scale: float, rcond: float):
    """Covariance, standard errors and weak directions from the residual Jacobian.

    Returns (covariance, standard errors, correlation, scaled eigenvalues, weak eigenvectors).
    Directions with scaled eigenvalue below `rcond` × the largest are weak: every parameter
    with a component above 0.1 in one of them gets an infinite variance.
    """
    jacobian = np.asarray(jacobian, dtype=np.float64)
    fisher = jacobian.T @ jacobian
    p = fisher.shape[0]
    diagonal = np.diag(fisher).copy()
    unconstrained = diagonal <= 0
    d = np.where(unconstrained, 0.0, 1.0 / np.sqrt(np.where(unconstrained, 1.0, diagonal)))
    scaled = d[:, None] * fisher * d[None, :]
    eigenvalues, vectors = np.linalg.eigh(scaled)
    largest = max(eigenvalues.max(), np.finfo(float).tiny)
    weak = eigenvalues <= rcond * largest
    inverse = np.where(weak, 0.0, 1.0 / np.where(weak, 1.0, eigenvalues))
    cov = d[:, None] * (vectors * inverse) @ vectors.T * d[None, :] * scale
    involved = unconstrained.copy()
    for k in np.nonzero(weak)[0]:
        involved |= np.abs(vectors[:, k]) > 0.1
    cov[involved, :] = np.where(np.eye(p, dtype=bool)[involved, :], np.inf, np.nan)
    cov[:, involved] = np.where(np.eye(p, dtype=bool)[:, involved], np.inf, np.nan)
    errors = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = cov / np.outer(errors, errors)
    np.fill_diagonal(correlation, 1.0)
    correlation[involved, :] = np.nan
    correlation[:, involved] = np.nan
    correlation[involved, involved] = 1.0
    return cov, errors, correlation, eigenvalues / largest, vectors[:, weak].T
