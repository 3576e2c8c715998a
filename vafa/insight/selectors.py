"""Figures an owner reads: KPIs, liability, rates. Reads only; nothing below imports this."""
