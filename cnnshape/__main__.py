from cnnshape.cli.app import main

main()
