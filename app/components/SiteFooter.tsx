import { Link } from '@remix-run/react';

export function SiteFooter() {
  return (
    <footer className="site-footer">
      <nav aria-label="Policies">
        <Link to="/privacy">Privacy</Link>
        <Link to="/terms">Terms</Link>
        <Link to="/cookies">Cookies</Link>
        <Link to="/subprocessors">Subprocessors</Link>
        <Link to="/pricing">Pricing</Link>
      </nav>
    </footer>
  );
}
