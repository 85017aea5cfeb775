from sqlite2pg_tui.cli import main

raise SystemExit(main())
