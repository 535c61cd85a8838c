from payments.cli import main

main()
