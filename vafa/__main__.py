from vafa.cli import main

main()
