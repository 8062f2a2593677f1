"""HTTP layers: one package per API version, each thin over `lorebase.kb`."""
