"""threecx_xapi: the typed, hand-written facade over the generated 3CX XAPI client."""
