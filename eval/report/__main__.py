import sys

from eval.report.build import main

sys.exit(main())
