from oracle.training.cli import main

main()
