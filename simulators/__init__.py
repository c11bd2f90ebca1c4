"""Card side: the virtual CCCD, its test PKI and citizens, fault injection, the vpcd bridge.

Written independently of ``cardreader`` and ``crypto``: nothing here imports them.
"""
