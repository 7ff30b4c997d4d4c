"""`python -m segchat.faces.cli`: the `segchat` command without its installed script."""

from segchat.faces.cli import main

main()
