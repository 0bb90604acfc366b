"""China's national carbon market: the compliance ETS (unit CEA) and the CCER
offset registry (units CCER and legacy CCER_2012).

Stand them up with one call each: ``system.add_registry(cn_ets())`` and
``system.add_registry(ccer())``. Sources: ``../shared/reference/china-ets.md``
and the EDF report it digests (seed ``004``, lines ``L…``).
"""

from adapters.china.ccer import ccer
from adapters.china.national import cn_ets

__all__ = ["ccer", "cn_ets"]
