from sqlite2pg_tui.cli.main import main

raise SystemExit(main())
