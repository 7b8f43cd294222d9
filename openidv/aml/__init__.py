"""Sanctions and PEP screening against lists the operator loads: records, list readers and
name matching. Pure code: no database, no HTTP."""
