"""One module per wizard stage, plus the small modals they share."""
