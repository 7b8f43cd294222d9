from openidv.cli import main

main(prog_name="openidv")
