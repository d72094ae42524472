from jupyter_orch.cli import main

raise SystemExit(main())
