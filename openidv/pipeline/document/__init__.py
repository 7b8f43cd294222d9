"""Document analysis, one job a module: ``geometry`` (working image, line quads), ``mrz_zone``
(finding the MRZ), ``mrz_read`` (reading it with independent engines), ``visual_zone``
(printed data and its cross-check with the MRZ), ``quality`` (sharpness, glare, cut-off,
the fast document check), ``portrait`` (the portrait and its face), ``checks`` (findings →
one validity code) and ``analyse`` (the whole analysis)."""

from openidv.pipeline.document.analyse import analyse_document
from openidv.pipeline.document.mrz_read import MrzReadResult, read_mrz
from openidv.pipeline.document.mrz_zone import locate_mrz
from openidv.pipeline.document.quality import has_document

__all__ = ["MrzReadResult", "analyse_document", "has_document", "locate_mrz", "read_mrz"]
