import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { useAuth } from '../auth/session';
import { Badge } from '../components/badge';
import { ErrorMessage } from '../components/error-message';
import { PageHeader } from '../components/page-header';
import { Link } from '../router';
import { routes } from '../routes';

interface Counts { total: number; [status: string]: number }
interface Activity { successful: number; failed: number }

export interface StatsOverview {
  organizations: Counts;
  users: Counts & { newLast7d: number; newLast30d: number; activeLast30d: number };
  applications: Counts;
  clients: Counts;
  loginActivity: { last24h: Activity; last7d: Activity; last30d: Activity };
  systemHealth: { database: string; redis: string };
  generatedAt: string;
}

const number = new Intl.NumberFormat();

function StatCard({ title, counts, statuses }: { title: string; counts: Counts; statuses: string[] }) {
  return (
    <section className="card stat-card" aria-labelledby={`stat-${title}`}>
      <h2 id={`stat-${title}`}>{title}</h2>
      <p className="stat-total">{number.format(counts.total)}</p>
      <ul className="stat-breakdown">
        {statuses.map((status) => (
          <li key={status}>
            <span>{status}</span> <strong>{number.format(counts[status] ?? 0)}</strong>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Overview() {
  const query = useQuery({ queryKey: ['stats', 'overview'], queryFn: () => api<{ data: StatsOverview }>('/stats/overview').then((r) => r.data) });
  if (query.error) return <ErrorMessage error={query.error} />;
  const stats = query.data;
  if (!stats) return <p aria-busy="true">Loading figures…</p>;
  const activity: [string, Activity][] = [['Last 24 hours', stats.loginActivity.last24h], ['Last 7 days', stats.loginActivity.last7d], ['Last 30 days', stats.loginActivity.last30d]];
  return (
    <>
      <div className="card-grid">
        <StatCard title="Organizations" counts={stats.organizations} statuses={['active', 'suspended', 'archived']} />
        <StatCard title="Users" counts={stats.users} statuses={['active', 'inactive', 'suspended', 'locked']} />
        <StatCard title="Applications" counts={stats.applications} statuses={['active', 'inactive', 'archived']} />
        <StatCard title="Clients" counts={stats.clients} statuses={['active', 'inactive', 'revoked']} />
      </div>
      <div className="card-grid card-grid-wide">
        <section className="card" aria-labelledby="stat-users-activity">
          <h2 id="stat-users-activity">User activity</h2>
          <ul className="stat-breakdown">
            <li><span>new in the last 7 days</span> <strong>{number.format(stats.users.newLast7d)}</strong></li>
            <li><span>new in the last 30 days</span> <strong>{number.format(stats.users.newLast30d)}</strong></li>
            <li><span>signed in during the last 30 days</span> <strong>{number.format(stats.users.activeLast30d)}</strong></li>
          </ul>
        </section>
        <section className="card" aria-labelledby="stat-logins">
          <h2 id="stat-logins">Sign-ins</h2>
          <table className="simple-table">
            <caption className="visually-hidden">Successful and failed sign-ins</caption>
            <thead><tr><th scope="col">Period</th><th scope="col">Successful</th><th scope="col">Failed</th></tr></thead>
            <tbody>
              {activity.map(([label, a]) => (
                <tr key={label}><th scope="row">{label}</th><td>{number.format(a.successful)}</td><td>{number.format(a.failed)}</td></tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="card" aria-labelledby="stat-health">
          <h2 id="stat-health">System health</h2>
          <ul className="stat-breakdown">
            <li><span>Database</span> <Badge>{stats.systemHealth.database}</Badge></li>
            <li><span>Ephemeral store</span> <Badge>{stats.systemHealth.redis}</Badge></li>
          </ul>
        </section>
      </div>
      <p className="muted">Figures from {new Date(stats.generatedAt).toLocaleString()}; they are at most a minute old.</p>
    </>
  );
}

/** `/`: the figures of GET /stats/overview for those who may read them, and the screens this admin can open. */
export function DashboardScreen() {
  const { me, can } = useAuth();
  const shortcuts = routes.filter((r) => r.nav && r.path !== '/' && (!r.nav.permission || can(r.nav.permission)));
  return (
    <>
      <PageHeader title="Dashboard" description={`Signed in as ${me.user.email} (${me.roles.join(', ')}).`} />
      {can('admin:stats:read') ? <Overview /> : <p>Your roles do not include the statistics; choose a screen below.</p>}
      {shortcuts.length > 0 ? (
        <section className="card" aria-labelledby="shortcuts">
          <h2 id="shortcuts">Your screens</h2>
          <ul className="shortcut-list">
            {shortcuts.map((r) => (
              <li key={r.path}><Link to={r.path}>{r.nav?.label}</Link></li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}
