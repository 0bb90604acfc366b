"""Japan's carbon markets as registry adapters (issue #3, items 5 and 6).

* :mod:`adapters.japan.metropolitan`: the Tokyo cap-and-trade programme and
  Saitama's target-setting emissions trading system, linked both ways since
  April 2011 (factories :func:`tokyo` and :func:`saitama`);
* :mod:`adapters.japan.jcm`: the Joint Crediting Mechanism between Japan and a
  partner Party, with its Joint Committee (factories :func:`jcm` and
  :func:`jcm_japan`);
* :mod:`adapters.japan.jcredit`: J-Credit, Japan's domestic crediting scheme
  (factory :func:`jcredit`).

Sources: reference/northeast-asia.md, "Japan", and the ASPI report it digests
(English ``E:`` lines, Chinese endnotes ``C:``). Japan has no national ETS
(E:117–118); these are the instruments it has.
"""

from adapters.japan.jcm import jcm, jcm_japan
from adapters.japan.jcredit import jcredit
from adapters.japan.metropolitan import saitama, tokyo

__all__ = ["jcm", "jcm_japan", "jcredit", "saitama", "tokyo"]
