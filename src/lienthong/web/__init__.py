"""The web layer shared by the hub's and the gateway's consoles: pages, sign-in, assets, languages."""
