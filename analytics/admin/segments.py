"""Staff console for customer segmentation."""
