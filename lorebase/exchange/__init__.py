"""Moving whole knowledge bases in and out of Lorebase (Document360 export ZIPs)."""
