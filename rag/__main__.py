from rag.faces.cli import main

main()
