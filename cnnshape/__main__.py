from cnnshape.cli.app import entry

entry()
