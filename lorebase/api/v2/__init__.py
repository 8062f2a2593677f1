"""The Document360 Customer API v2, wire-compatible, plus Lorebase's documented extensions."""
